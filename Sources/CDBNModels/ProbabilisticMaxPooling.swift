import CDBNNumerics

/// The sizes of a detection plane and its pooling blocks. Block (i, j) holds detection units
/// [i·ph, (i+1)·ph) × [j·pw, (j+1)·pw); blocks at the bottom and right edges may be smaller when the
/// plane is not a multiple of the block.
public struct PoolingShape: Sendable, Equatable {
  public let height: Int
  public let width: Int
  public let poolHeight: Int
  public let poolWidth: Int

  public init(height: Int, width: Int, poolHeight: Int, poolWidth: Int) {
    self.height = height
    self.width = width
    self.poolHeight = poolHeight
    self.poolWidth = poolWidth
  }

  public var pooledHeight: Int { (height + poolHeight - 1) / poolHeight }
  public var pooledWidth: Int { (width + poolWidth - 1) / poolWidth }
  public var plane: Int { height * width }
  public var pooledPlane: Int { pooledHeight * pooledWidth }
}

/// Probabilistic max-pooling (Lee et al. 2009): in each block at most one detection unit is on, and
/// the pooling unit is on exactly when one of them is. Given the bottom-up inputs I of a block B the
/// block is a multinomial over |B|+1 states:
///
///   P(h_i = 1 | v) = exp(I_i) / (1 + Σ_{j∈B} exp(I_j)),   P(p = 0 | v) = 1 / (1 + Σ_{j∈B} exp(I_j)).
///
/// Computed with m = max(0, max_B I) subtracted from every exponent, so nothing overflows.
/// All functions work on `count` consecutive planes and allocate nothing.
public enum ProbabilisticMaxPooling {
  /// Turns bottom-up sums into probabilities, in place.
  ///
  /// - Parameters:
  ///   - values: `count` planes of raw sums x; on return P(h = 1 | v) with I = (x + bias)·scale.
  ///   - bias: one bias per group of `planesPerBias` consecutive planes (nil: no bias).
  ///   - scale: 1/σ² for Gaussian visible units, 1 for binary.
  ///   - pooled: if not nil, receives P(p = 1 | v) per block.
  ///   - off: scratch of count·pooledPlane floats; receives P(p = 0 | v) per block.
  public static func probabilities(
    _ g: PoolingShape, count: Int, values: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, planesPerBias: Int = 1, scale: Float = 1,
    pooled: UnsafeMutablePointer<Float>?, off: UnsafeMutablePointer<Float>
  ) {
    let (h, w, ph, pw, wp) = (g.height, g.width, g.poolHeight, g.poolWidth, g.pooledWidth)
    // Work a band of ph rows at a time. Per-block quantities (max, sum, 1/sum) are computed once per
    // block and spread over a row of w values, so every pass over the detection units is a plain
    // contiguous loop the compiler vectorises.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * w) { tmp in
      let column = tmp.baseAddress!  // per-column max or sum over the band's rows
      let spread = column + w  // a per-block value repeated over its columns
      // Pass 1: biased, scaled input; subtract each block's max(0, max I).
      for p in 0..<count {
        let b = bias.map { $0[p / planesPerBias] } ?? 0
        let x = values + p * g.plane
        let m = off + p * g.pooledPlane
        var i0 = 0
        var bi = 0
        while i0 < h {
          let i1 = min(i0 + ph, h)
          for j in 0..<w { column[j] = 0 }
          for i in i0..<i1 {
            let row = x + i * w
            for j in 0..<w {
              let v = (row[j] + b) * scale
              row[j] = v
              column[j] = max(column[j], v)
            }
          }
          let mrow = m + bi * wp
          var j0 = 0
          var bj = 0
          while j0 < w {
            let j1 = min(j0 + pw, w)
            var mx = column[j0]
            for j in (j0 + 1)..<max(j0 + 1, j1) { mx = max(mx, column[j]) }
            for j in j0..<j1 { spread[j] = mx }
            mrow[bj] = -mx  // the off state's exponent, 0 − m
            j0 = j1
            bj += 1
          }
          for i in i0..<i1 {
            let row = x + i * w
            for j in 0..<w { row[j] -= spread[j] }
          }
          i0 = i1
          bi += 1
        }
      }
      // Pass 2: one vectorised exp over everything.
      VectorMath.expInPlace(values, count: count * g.plane)
      VectorMath.expInPlace(off, count: count * g.pooledPlane)
      // Pass 3: normalise each block by e^{−m} + Σ e^{I−m}.
      for p in 0..<count {
        let x = values + p * g.plane
        let e0 = off + p * g.pooledPlane
        let pool = pooled.map { $0 + p * g.pooledPlane }
        var i0 = 0
        var bi = 0
        while i0 < h {
          let i1 = min(i0 + ph, h)
          for j in 0..<w { column[j] = 0 }
          for i in i0..<i1 {
            let row = x + i * w
            for j in 0..<w { column[j] += row[j] }
          }
          var j0 = 0
          var bj = 0
          while j0 < w {
            let j1 = min(j0 + pw, w)
            var sum: Float = 0
            for j in j0..<j1 { sum += column[j] }
            let q = bi * wp + bj
            let inv = 1 / (e0[q] + sum)
            for j in j0..<j1 { spread[j] = inv }
            e0[q] *= inv
            pool?[q] = sum * inv
            j0 = j1
            bj += 1
          }
          for i in i0..<i1 {
            let row = x + i * w
            for j in 0..<w { row[j] *= spread[j] }
          }
          i0 = i1
          bi += 1
        }
      }
    }
  }

  /// Draws one multinomial sample per block from the probabilities of `probabilities(...)`:
  /// `hidden` gets a one-hot (or all-zero) block, `pooled` (if not nil) the block's pooling state.
  public static func sample(
    _ g: PoolingShape, count: Int, probabilities: UnsafePointer<Float>,
    off: UnsafePointer<Float>, rng: inout RandomStream, hidden: UnsafeMutablePointer<Float>,
    pooled: UnsafeMutablePointer<Float>?
  ) {
    let (h, w, ph, pw, hp, wp) = (g.height, g.width, g.poolHeight, g.poolWidth, g.pooledHeight, g.pooledWidth)
    hidden.update(repeating: 0, count: count * g.plane)
    for p in 0..<count {
      let x = probabilities + p * g.plane
      let out = hidden + p * g.plane
      let e0 = off + p * g.pooledPlane
      for bi in 0..<hp {
        let i0 = bi * ph
        let i1 = min(i0 + ph, h)
        for bj in 0..<wp {
          let q = bi * wp + bj
          let u = rng.nextFloat()
          var cumulative = e0[q]
          var on = false
          if u >= cumulative {
            let j0 = bj * pw
            let j1 = min(j0 + pw, w)
            var last = i0 * w + j0
            search: for i in i0..<i1 {
              for j in j0..<j1 {
                last = i * w + j
                cumulative += x[last]
                if u < cumulative { break search }
              }
            }
            // Rounding can leave the cumulative sum a hair below 1: the last unit takes that slack.
            out[last] = 1
            on = true
          }
          pooled?[p * g.pooledPlane + q] = on ? 1 : 0
        }
      }
    }
  }
}
