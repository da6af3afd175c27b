#include "CDBNKernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// exp as VectorMath.exp computes it (Cephes' single-precision polynomial on [-87.3, 88.3], the
// 1.5·2^23 rounding trick, separate multiplies and adds), lane for lane.
static inline float cdbn_exp(float v) {
  float x = v < -87.3f ? -87.3f : v;
  x = x > 88.3f ? 88.3f : x;
  const float magic = 12582912.0f;
  float t = x * 1.44269504f + magic;
  float fx = t - magic;
  x = x - fx * 0.693359375f;
  x = x + fx * 2.1219444e-4f;
  float z = x * x;
  float y = 1.98756915e-4f;
  y = y * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * z + (x + 1.0f);
  int32_t n;
  memcpy(&n, &t, sizeof n);
  n -= 0x4B400000;
  int32_t bits = (n + 127) << 23;
  float pow2;
  memcpy(&pow2, &bits, sizeof pow2);
  return y * pow2;
}

#define WINDOW 16

// One window of WINDOW consecutive positions of a row (all its blocks' members), with a fixed trip
// count so that the loops over the window vectorise; `keep` leading positions were done by the
// previous window and are left as they are (the passes work in place).
#define WINDOW_BODY                                                                                \
  {                                                                                                \
    float m[WINDOW], sum[WINDOW], e0[WINDOW], inv[WINDOW];                                         \
    for (size_t i = 0; i < WINDOW; i++) m[i] = 0.0f;                                               \
    for (size_t o = 0; o < offsets; o++) {                                                         \
      const float *restrict p = row + o * length + q0;                                             \
      float x[WINDOW];                                                                             \
      for (size_t i = 0; i < WINDOW; i++) x[i] = (p[i] + b) * scale;                               \
      if (valid) {                                                                                 \
        const float *restrict ok = valid + o * length + q0;                                        \
        for (size_t i = 0; i < WINDOW; i++) x[i] = ok[i] == 0.0f ? -INFINITY : x[i];               \
      }                                                                                            \
      for (size_t i = 0; i < WINDOW; i++) {                                                        \
        m[i] = x[i] > m[i] ? x[i] : m[i];                                                          \
        held[o * WINDOW + i] = x[i];                                                               \
      }                                                                                            \
    }                                                                                              \
    for (size_t i = 0; i < WINDOW; i++) {                                                          \
      e0[i] = cdbn_exp(-m[i]);                                                                     \
      sum[i] = e0[i];                                                                              \
    }                                                                                              \
    for (size_t o = 0; o < offsets; o++) {                                                         \
      float e[WINDOW];                                                                             \
      for (size_t i = 0; i < WINDOW; i++) e[i] = cdbn_exp(held[o * WINDOW + i] - m[i]);            \
      if (valid) {                                                                                 \
        /* The clamped exp maps -inf to a tiny number; missing units must be exactly 0. */       \
        const float *restrict ok = valid + o * length + q0;                                        \
        for (size_t i = 0; i < WINDOW; i++) e[i] *= ok[i];                                         \
      }                                                                                            \
      for (size_t i = 0; i < WINDOW; i++) {                                                        \
        sum[i] += e[i];                                                                            \
        held[o * WINDOW + i] = e[i];                                                               \
      }                                                                                            \
    }                                                                                              \
    for (size_t i = 0; i < WINDOW; i++) inv[i] = 1.0f / sum[i];                                    \
    for (size_t o = 0; o < offsets; o++) {                                                         \
      float *restrict p = row + o * length + q0;                                                   \
      for (size_t i = keep; i < WINDOW; i++) p[i] = held[o * WINDOW + i] * inv[i];                 \
    }                                                                                              \
    float *restrict offRow = off + r * length + q0;                                                \
    for (size_t i = keep; i < WINDOW; i++) offRow[i] = e0[i] * inv[i];                             \
    if (pooled) {                                                                                  \
      float *restrict pooledRow = pooled + r * length + q0;                                        \
      for (size_t i = keep; i < WINDOW; i++) pooledRow[i] = (sum[i] - e0[i]) * inv[i];             \
    }                                                                                              \
  }

// Rows shorter than a window go through a copy padded with zeros (their results are discarded).
#define BLOCK_PROBABILITIES_BODY                                                                   \
  float held[64 * WINDOW];                                                                         \
  if (offsets > 64 || length < WINDOW) {                                                           \
    block_probabilities_scalar(rows, offsets, length, values, bias, scale, valid, off, pooled);    \
    return;                                                                                        \
  }                                                                                                \
  for (size_t r = 0; r < rows; r++) {                                                              \
    float *row = values + r * offsets * length;                                                    \
    const float b = bias ? bias[r] : 0.0f;                                                         \
    const size_t whole = length - length % WINDOW;                                                 \
    size_t q0 = 0, keep = 0;                                                                       \
    for (; q0 < whole; q0 += WINDOW) WINDOW_BODY                                                   \
    if (whole < length) {                                                                          \
      keep = WINDOW - (length - whole);                                                            \
      q0 = length - WINDOW;                                                                        \
      WINDOW_BODY                                                                                  \
    }                                                                                              \
  }

// Every position on its own: blocks with more than 64 members, and rows shorter than a window.
static void block_probabilities_scalar(
    size_t rows, size_t offsets, size_t length, float *values, const float *bias, float scale,
    const float *valid, float *off, float *pooled) {
  for (size_t r = 0; r < rows; r++) {
    float *row = values + r * offsets * length;
    const float b = bias ? bias[r] : 0.0f;
    for (size_t q = 0; q < length; q++) {
      float m = 0.0f;
      for (size_t o = 0; o < offsets; o++) {
        float x = (row[o * length + q] + b) * scale;
        if (valid && valid[o * length + q] == 0.0f) x = -INFINITY;
        m = x > m ? x : m;
        row[o * length + q] = x;
      }
      const float e0 = cdbn_exp(-m);
      float sum = e0;
      for (size_t o = 0; o < offsets; o++) {
        float e = cdbn_exp(row[o * length + q] - m);
        if (valid) e *= valid[o * length + q];
        sum += e;
        row[o * length + q] = e;
      }
      const float inv = 1.0f / sum;
      for (size_t o = 0; o < offsets; o++) row[o * length + q] *= inv;
      off[r * length + q] = e0 * inv;
      if (pooled) pooled[r * length + q] = (sum - e0) * inv;
    }
  }
}

typedef void (*block_probabilities_fn)(
    size_t, size_t, size_t, float *, const float *, float, const float *, float *, float *);

static void block_probabilities_baseline(
    size_t rows, size_t offsets, size_t length, float *values, const float *bias, float scale,
    const float *valid, float *off, float *pooled) {
  BLOCK_PROBABILITIES_BODY
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) static void block_probabilities_avx2(
    size_t rows, size_t offsets, size_t length, float *values, const float *bias, float scale,
    const float *valid, float *off, float *pooled) {
  BLOCK_PROBABILITIES_BODY
}

__attribute__((target("avx512f"))) static void block_probabilities_avx512(
    size_t rows, size_t offsets, size_t length, float *values, const float *bias, float scale,
    const float *valid, float *off, float *pooled) {
  BLOCK_PROBABILITIES_BODY
}
#endif

// ExactSum's two passes over units x stride partial sums (rows of `stride` floats), for the
// elements [begin, end) of the units [first, last): the largest unbiased exponent field of each
// element, then each value on its element's fixed-point grid (x * scale rounded to an integer by
// adding 1.5 * 2^52, exact for |x * scale| < 2^51) summed into 64-bit integers.
#define EXPONENT_MAX_BODY                                                                          \
  for (size_t u = first; u < last; u++) {                                                          \
    const float *restrict row = values + u * stride;                                               \
    for (size_t i = begin; i < end; i++) {                                                         \
      uint32_t bits;                                                                               \
      memcpy(&bits, &row[i], sizeof bits);                                                         \
      int16_t e = (int16_t)((bits >> 23) & 0xFF) - 127;                                            \
      largest[i] = e > largest[i] ? e : largest[i];                                                \
    }                                                                                              \
  }

#define GRID_SUM_BODY                                                                              \
  const double magic = 6755399441055744.0;                                                         \
  int64_t magic_bits;                                                                              \
  memcpy(&magic_bits, &magic, sizeof magic_bits);                                                  \
  for (size_t u = first; u < last; u++) {                                                          \
    const float *restrict row = values + u * stride;                                               \
    for (size_t i = begin; i < end; i++) {                                                         \
      double t = (double)row[i] * scales[i] + magic;                                               \
      int64_t bits;                                                                                \
      memcpy(&bits, &t, sizeof bits);                                                              \
      sums[i] += (int64_t)((uint64_t)bits - (uint64_t)magic_bits);                                 \
    }                                                                                              \
  }

#define EXACT_SUM_VARIANTS(suffix, attribute)                                                      \
  attribute static void exponent_max_##suffix(                                                     \
      const float *values, size_t stride, size_t first, size_t last, size_t begin, size_t end,     \
      int16_t *restrict largest) {                                                                 \
    EXPONENT_MAX_BODY                                                                              \
  }                                                                                                \
  attribute static void grid_sum_##suffix(                                                         \
      const float *values, size_t stride, size_t first, size_t last, size_t begin, size_t end,     \
      const double *restrict scales, int64_t *restrict sums) {                                     \
    GRID_SUM_BODY                                                                                  \
  }

EXACT_SUM_VARIANTS(baseline, )
#if defined(__x86_64__) || defined(__i386__)
EXACT_SUM_VARIANTS(avx2, __attribute__((target("avx2"))))
EXACT_SUM_VARIANTS(avx512, __attribute__((target("avx512f,avx512dq"))))
#endif

// ActivePatches.add (see ActivePatches.swift for the layout). Window rows are summed over the
// groups that are on in vectors of `lanes` floats, G rows at a time, then added to the plane; the
// adds run in the Swift version's order, so every path gives the same bits.
typedef float cdbn_v8 __attribute__((vector_size(32)));
typedef float cdbn_v16 __attribute__((vector_size(64)));

#define PATCHES_SUM_ROWS(V, L, G)                                                                  \
  {                                                                                                \
    V sums[G];                                                                                     \
    for (size_t g = 0; g < G; g++) sums[g] = (V){0};                                               \
    for (size_t i = 0; i < n; i++) {                                                               \
      const float *src = source + groups[i];                                                       \
      for (size_t g = 0; g < G; g++) {                                                             \
        V x;                                                                                       \
        memcpy(&x, src + g * p->row_stride, sizeof x);                                             \
        sums[g] += x;                                                                              \
      }                                                                                            \
    }                                                                                              \
    for (size_t g = 0; g < G; g++) {                                                               \
      float *row = target + g * p->width;                                                          \
      if (row + L <= end) {                                                                        \
        V y;                                                                                       \
        memcpy(&y, row, sizeof y);                                                                 \
        y += sums[g];                                                                              \
        memcpy(row, &y, sizeof y);                                                                 \
      } else {                                                                                     \
        /* The last row of the output: lanes past its end are zeros and are not written. */      \
        for (ptrdiff_t x = 0; x < end - row; x++) row[x] += sums[g][x];                            \
      }                                                                                            \
    }                                                                                              \
  }

#define PATCHES_ADD_BODY(V, L)                                                                     \
  const size_t states_per_group = p->pool_height * p->pool_width + 1;                              \
  const size_t plane = p->height * p->width, input = p->channels * plane;                          \
  const size_t copy = p->copy_rows * p->row_stride;                                                \
  const size_t blocks = p->blocks_high * p->blocks_wide, length = p->count * blocks;               \
  float *const end = output + p->count * input;                                                    \
  for (size_t e = 0; e < p->count; e++) {                                                          \
    for (size_t bi = 0; bi < p->blocks_high; bi++) {                                               \
      /* Rows past the plane only ever receive zeros: they are skipped. */                         \
      const size_t below = p->height - bi * p->pool_height;                                        \
      const size_t rows = p->window_height < below ? p->window_height : below;                     \
      for (size_t bj = 0; bj < p->blocks_wide; bj++) {                                             \
        const size_t block = e * blocks + bi * p->blocks_wide + bj;                                \
        /* The groups that are on, listed without a branch (whether a block is on is a coin    */  \
        /* flip). A state is a whole number below 2^23: adding 2^23 puts it in the low bits.    */  \
        size_t n = 0;                                                                              \
        for (size_t k = 0; k < p->filters; k++) {                                                  \
          float shifted = states[k * length + block] + 8388608.0f;                                 \
          uint32_t bits;                                                                           \
          memcpy(&bits, &shifted, sizeof bits);                                                    \
          const size_t state = bits & 0x7FFFFF;                                                    \
          groups[n] = state_offsets[k * states_per_group + state];                                 \
          n += state != 0;                                                                         \
        }                                                                                          \
        if (n == 0) continue;                                                                      \
        float *corner = output + e * input + bi * p->pool_height * p->width + bj * p->pool_width;  \
        for (size_t c = 0; c < p->channels; c++) {                                                 \
          for (size_t strip = 0; strip < p->row_stride; strip += L) {                              \
            const float *base = padded + c * copy + strip;                                         \
            float *top = corner + c * plane + strip;                                               \
            size_t t = 0;                                                                          \
            for (; t + 4 <= rows; t += 4) {                                                        \
              const float *source = base + t * p->row_stride;                                      \
              float *target = top + t * p->width;                                                  \
              PATCHES_SUM_ROWS(V, L, 4)                                                            \
            }                                                                                      \
            if (t + 2 <= rows) {                                                                   \
              const float *source = base + t * p->row_stride;                                      \
              float *target = top + t * p->width;                                                  \
              PATCHES_SUM_ROWS(V, L, 2)                                                            \
              t += 2;                                                                              \
            }                                                                                      \
            if (t < rows) {                                                                        \
              const float *source = base + t * p->row_stride;                                      \
              float *target = top + t * p->width;                                                  \
              PATCHES_SUM_ROWS(V, L, 1)                                                            \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }

#define PATCHES_VARIANTS(suffix, attribute)                                                        \
  attribute static void patches_add_##suffix(                                                      \
      const cdbn_patches *p, const float *padded, const ptrdiff_t *state_offsets,                  \
      const float *states, float *output, ptrdiff_t *groups) {                                     \
    if (p->lanes == 8) {                                                                           \
      PATCHES_ADD_BODY(cdbn_v8, 8)                                                                 \
    } else {                                                                                       \
      PATCHES_ADD_BODY(cdbn_v16, 16)                                                               \
    }                                                                                              \
  }

PATCHES_VARIANTS(baseline, )
#if defined(__x86_64__) || defined(__i386__)
PATCHES_VARIANTS(avx2, __attribute__((target("avx2"))))
PATCHES_VARIANTS(avx512, __attribute__((target("avx512f"))))
#endif

enum isa { ISA_BASELINE, ISA_AVX2, ISA_AVX512 };
static const char *const isa_names[] = {"baseline", "avx2", "avx512"};
static _Atomic int selected = -1;

static int best_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
  if (__builtin_cpu_supports("avx2")) return ISA_AVX2;
#endif
  return ISA_BASELINE;
}

static int by_name(const char *name, int best) {
  if (!name) return best;
  for (int i = 0; i <= best; i++) {
    if (strcmp(name, isa_names[i]) == 0) return i;
  }
  return best;
}

static int current(void) {
  int s = selected;
  if (s < 0) {
    s = by_name(getenv("CDBN_ISA"), best_supported());
    selected = s;
  }
  return s;
}

const char *cdbn_kernels_isa(void) { return isa_names[current()]; }

const char *cdbn_kernels_select(const char *name) {
  selected = by_name(name, best_supported());
  return isa_names[selected];
}

void cdbn_block_probabilities(
    size_t rows, size_t offsets, size_t length, float *values, const float *bias, float scale,
    const float *valid, float *off, float *pooled) {
  block_probabilities_fn f = block_probabilities_baseline;
#if defined(__x86_64__) || defined(__i386__)
  switch (current()) {
  case ISA_AVX512: f = block_probabilities_avx512; break;
  case ISA_AVX2: f = block_probabilities_avx2; break;
  default: break;
  }
#endif
  f(rows, offsets, length, values, bias, scale, valid, off, pooled);
}

void cdbn_exponent_max(
    const float *values, size_t stride, size_t first, size_t last, size_t begin, size_t end,
    int16_t *largest) {
#if defined(__x86_64__) || defined(__i386__)
  switch (current()) {
  case ISA_AVX512: exponent_max_avx512(values, stride, first, last, begin, end, largest); return;
  case ISA_AVX2: exponent_max_avx2(values, stride, first, last, begin, end, largest); return;
  default: break;
  }
#endif
  exponent_max_baseline(values, stride, first, last, begin, end, largest);
}

void cdbn_grid_sum(
    const float *values, size_t stride, size_t first, size_t last, size_t begin, size_t end,
    const double *scales, int64_t *sums) {
#if defined(__x86_64__) || defined(__i386__)
  switch (current()) {
  case ISA_AVX512: grid_sum_avx512(values, stride, first, last, begin, end, scales, sums); return;
  case ISA_AVX2: grid_sum_avx2(values, stride, first, last, begin, end, scales, sums); return;
  default: break;
  }
#endif
  grid_sum_baseline(values, stride, first, last, begin, end, scales, sums);
}

void cdbn_patches_add(
    const cdbn_patches *p, const float *padded, const ptrdiff_t *state_offsets,
    const float *states, float *output, ptrdiff_t *groups) {
#if defined(__x86_64__) || defined(__i386__)
  switch (current()) {
  case ISA_AVX512: patches_add_avx512(p, padded, state_offsets, states, output, groups); return;
  case ISA_AVX2: patches_add_avx2(p, padded, state_offsets, states, output, groups); return;
  default: break;
  }
#endif
  patches_add_baseline(p, padded, state_offsets, states, output, groups);
}
