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
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * w + g.pooledPlane) { tmp in
      let column = tmp.baseAddress!  // per-column max or sum over the band's rows
      let spread = column + w  // a per-block value repeated over its columns
      let sums = spread + w  // per-block sums, then their reciprocals
      // Pass 1: biased, scaled input; subtract each block's max(0, max I).
      for p in 0..<count {
        let b = bias.map { $0[p / planesPerBias] } ?? 0
        let x = values + p * g.plane
        let m = off + p * g.pooledPlane
        var i0 = 0
        var bi = 0
        while i0 < h {
          let i1 = min(i0 + ph, h)
          column.update(repeating: 0, count: w)
          for i in i0..<i1 {
            RowKernels.affineAndMax(x + i * w, bias: b, scale: scale, max: column, count: w)
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
          for i in i0..<i1 { RowKernels.subtract(spread, from: x + i * w, count: w) }
          i0 = i1
          bi += 1
        }
      }
      // Pass 2: one vectorised exp over everything.
      VectorMath.expInPlace(values, count: count * g.plane)
      VectorMath.expInPlace(off, count: count * g.pooledPlane)
      // Pass 3: normalise each block by e^{−m} + Σ e^{I−m}: block sums, then all the reciprocals
      // of a plane in one vector loop (a scalar divide per block was the slowest part), then spread.
      for p in 0..<count {
        let x = values + p * g.plane
        let e0 = off + p * g.pooledPlane
        var i0 = 0
        var bi = 0
        while i0 < h {
          let i1 = min(i0 + ph, h)
          column.update(repeating: 0, count: w)
          for i in i0..<i1 { RowKernels.add(x + i * w, to: column, count: w) }
          let srow = sums + bi * wp
          var j0 = 0
          var bj = 0
          while j0 < w {
            let j1 = min(j0 + pw, w)
            var sum: Float = 0
            for j in j0..<j1 { sum += column[j] }
            srow[bj] = sum
            j0 = j1
            bj += 1
          }
          i0 = i1
          bi += 1
        }
        RowKernels.normalise(
          sums: sums, off: e0, pooled: pooled.map { $0 + p * g.pooledPlane }, count: g.pooledPlane)
        i0 = 0
        bi = 0
        while i0 < h {
          let i1 = min(i0 + ph, h)
          let irow = sums + bi * wp
          var j0 = 0
          var bj = 0
          while j0 < w {
            let j1 = min(j0 + pw, w)
            for j in j0..<j1 { spread[j] = irow[bj] }
            j0 = j1
            bj += 1
          }
          for i in i0..<i1 { RowKernels.multiply(x + i * w, by: spread, count: w) }
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
    let (h, w, ph, pw, hp, wp) = (
      g.height, g.width, g.poolHeight, g.poolWidth, g.pooledHeight, g.pooledWidth
    )
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

/// Row loops of the pooling passes in explicit SIMD: the compiler cannot prove the rows and the
/// scratch rows apart, so it would not vectorise the plain loops.
enum RowKernels {
  typealias Lanes = SIMD16<Float>

  /// Per block: inv = 1/(e0 + sum); e0 ← e0·inv (P(off)); pooled ← sum·inv (P(on)); sums ← inv.
  @inline(__always)
  static func normalise(
    sums: UnsafeMutablePointer<Float>, off: UnsafeMutablePointer<Float>,
    pooled: UnsafeMutablePointer<Float>?, count: Int
  ) {
    var q = 0
    let sr = UnsafeMutableRawPointer(sums)
    let er = UnsafeMutableRawPointer(off)
    let pr = pooled.map { UnsafeMutableRawPointer($0) }
    let one = Lanes(repeating: 1)
    while q + 16 <= count {
      let s = sr.loadUnaligned(fromByteOffset: q * 4, as: Lanes.self)
      let e = er.loadUnaligned(fromByteOffset: q * 4, as: Lanes.self)
      let inv = one / (e + s)
      er.storeBytes(of: e * inv, toByteOffset: q * 4, as: Lanes.self)
      pr?.storeBytes(of: s * inv, toByteOffset: q * 4, as: Lanes.self)
      sr.storeBytes(of: inv, toByteOffset: q * 4, as: Lanes.self)
      q += 16
    }
    while q < count {
      let inv = 1 / (off[q] + sums[q])
      off[q] *= inv
      pooled?[q] = sums[q] * inv
      sums[q] = inv
      q += 1
    }
  }

  @inline(__always)
  static func affineAndMax(
    _ row: UnsafeMutablePointer<Float>, bias: Float, scale: Float,
    max m: UnsafeMutablePointer<Float>, count: Int
  ) {
    var j = 0
    let r = UnsafeMutableRawPointer(row)
    let mr = UnsafeMutableRawPointer(m)
    while j + 16 <= count {
      let v = (r.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self) + bias) * scale
      r.storeBytes(of: v, toByteOffset: j * 4, as: Lanes.self)
      let old = mr.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self)
      mr.storeBytes(
        of: old.replacing(with: v, where: v .> old), toByteOffset: j * 4, as: Lanes.self)
      j += 16
    }
    while j < count {
      let v = (row[j] + bias) * scale
      row[j] = v
      if v > m[j] { m[j] = v }
      j += 1
    }
  }

  /// dst[j] ← op(dst[j], src[j]): SIMD16 steps, then the scalar op for the tail (a padded vector
  /// tail was slower: W1's rows are 20 wide).
  @inline(__always)
  static func combine(
    _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int,
    _ op: (Lanes, Lanes) -> Lanes, _ scalarOp: (Float, Float) -> Float
  ) {
    var j = 0
    let d = UnsafeMutableRawPointer(dst)
    let r = UnsafeRawPointer(src)
    while j + 16 <= count {
      let v = op(
        d.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self),
        r.loadUnaligned(fromByteOffset: j * 4, as: Lanes.self))
      d.storeBytes(of: v, toByteOffset: j * 4, as: Lanes.self)
      j += 16
    }
    while j < count {
      dst[j] = scalarOp(dst[j], src[j])
      j += 1
    }
  }

  @inline(__always)
  static func subtract(_ a: UnsafePointer<Float>, from row: UnsafeMutablePointer<Float>, count: Int)
  {
    combine(row, a, count: count, -, -)
  }

  @inline(__always)
  static func add(_ row: UnsafePointer<Float>, to acc: UnsafeMutablePointer<Float>, count: Int) {
    combine(acc, row, count: count, +, +)
  }

  @inline(__always)
  static func multiply(_ row: UnsafeMutablePointer<Float>, by a: UnsafePointer<Float>, count: Int) {
    combine(row, a, count: count, *, *)
  }
}
