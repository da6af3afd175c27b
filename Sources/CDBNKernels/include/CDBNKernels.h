// Hot kernels compiled once per x86 instruction set and chosen when the process starts, so that a
// plain `swift build -c release` (baseline SSE2) runs them as fast as a build for the machine.
// Every variant performs the same IEEE operations in the same order (no contraction into fused
// multiply-adds), so results do not depend on the path taken.
#ifndef CDBN_KERNELS_H
#define CDBN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The instruction set the kernels run on: "avx512", "avx2" or "baseline". The environment variable
/// CDBN_ISA (baseline, avx2, avx512) lowers it, for tests and comparisons; it never raises it past
/// what the CPU supports.
const char *cdbn_kernels_isa(void);

/// Chooses the path by name (as CDBN_ISA does); returns the name in effect.
const char *cdbn_kernels_select(const char *name);

/// Probabilistic max-pooling's block probabilities in the block-major layout (see
/// ProbabilisticMaxPooling.blockProbabilities): `values` rows x offsets x length bottom-up sums
/// become P(h = 1 | v) with I = (x + bias[row]) * scale; `off` (rows x length) gets P(p = 0 | v),
/// `pooled` (rows x length, may be NULL) P(p = 1 | v); `valid` (offsets x length, may be NULL) is 1
/// for existing units and 0 for the missing members of ragged blocks.
void cdbn_block_probabilities(
    size_t rows, size_t offsets, size_t length, float *values, const float *bias, float scale,
    const float *valid, float *off, float *pooled);

/// ExactSum's first pass: for the elements [begin, end) of the rows [first, last) of `values`
/// (rows of `stride` floats), the largest unbiased exponent field into `largest` (which holds the
/// running maxima on entry).
void cdbn_exponent_max(
    const float *values, size_t stride, size_t first, size_t last, size_t begin, size_t end,
    int16_t *largest);

/// ExactSum's second pass: adds each value times its element's `scales` entry, rounded to an
/// integer (|value * scale| < 2^51), into `sums`.
void cdbn_grid_sum(
    const float *values, size_t stride, size_t first, size_t last, size_t begin, size_t end,
    const double *scales, int64_t *sums);

/// The layout of ActivePatches' padded filter copies and of one call's blocks (see ActivePatches).
typedef struct {
  size_t filters, channels, height, width;  // K, C, H, W of the visible planes
  size_t pool_height, pool_width;           // ph, pw
  size_t window_height;                     // ph + fh - 1 rows per block window
  size_t row_stride;                        // floats per padded window row, a multiple of lanes
  size_t copy_rows;                         // rows per padded (group, channel) copy
  size_t lanes;                             // 8 or 16
  size_t count, blocks_high, blocks_wide;   // examples and blocks of this call
} cdbn_patches;

/// ActivePatches.add: output [count, C, H, W] += the full convolution of the sampled block states
/// (K x count·blocks, block-major; 0 off, m + 1 member m on) with the filters, summed per block
/// window from `padded` at `state_offsets` [K x (ph·pw + 1)]; `groups` is K scratch entries.
void cdbn_patches_add(
    const cdbn_patches *p, const float *padded, const ptrdiff_t *state_offsets,
    const float *states, float *output, ptrdiff_t *groups);

#endif
