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
    let (h, w, ph, pw, hp, wp) = (g.height, g.width, g.poolHeight, g.poolWidth, g.pooledHeight, g.pooledWidth)
    // Pass 1: biased, scaled input and the block maxima (with 0 for the all-off state).
    for p in 0..<count {
      let b = bias.map { $0[p / planesPerBias] } ?? 0
      let x = values + p * g.plane
      let m = off + p * g.pooledPlane
      m.update(repeating: 0, count: g.pooledPlane)
      for i in 0..<h {
        let row = x + i * w
        let mrow = m + (i / ph) * wp
        for j in 0..<w { row[j] = (row[j] + b) * scale }
        var bj = 0
        var j0 = 0
        while j0 < w {
          let j1 = min(j0 + pw, w)
          var mx = mrow[bj]
          for j in j0..<j1 { mx = max(mx, row[j]) }
          mrow[bj] = mx
          bj += 1
          j0 = j1
        }
      }
      // Pass 2a: subtract each block's maximum.
      for i in 0..<h {
        let row = x + i * w
        let mrow = m + (i / ph) * wp
        var bj = 0
        var j0 = 0
        while j0 < w {
          let j1 = min(j0 + pw, w)
          let mx = mrow[bj]
          for j in j0..<j1 { row[j] -= mx }
          bj += 1
          j0 = j1
        }
      }
      // The off state's exponent is 0 − m.
      for q in 0..<g.pooledPlane { m[q] = -m[q] }
    }
    // Pass 2b: one vectorised exp over everything.
    VectorMath.expInPlace(values, count: count * g.plane)
    VectorMath.expInPlace(off, count: count * g.pooledPlane)
    // Pass 3: normalise each block.
    for p in 0..<count {
      let x = values + p * g.plane
      let e0 = off + p * g.pooledPlane
      let pool = pooled.map { $0 + p * g.pooledPlane }
      for bi in 0..<hp {
        let i0 = bi * ph
        let i1 = min(i0 + ph, h)
        for bj in 0..<wp {
          let j0 = bj * pw
          let j1 = min(j0 + pw, w)
          var sum: Float = 0
          for i in i0..<i1 {
            let row = x + i * w
            for j in j0..<j1 { sum += row[j] }
          }
          let q = bi * wp + bj
          let inv = 1 / (e0[q] + sum)
          for i in i0..<i1 {
            let row = x + i * w
            for j in j0..<j1 { row[j] *= inv }
          }
          e0[q] *= inv
          pool?[q] = sum * inv
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
