internal import CDBNKernels
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
///
/// The kernels work in the block-major layout of `ColumnOrder.pooling`: a row (one group's units over
/// a chunk) holds ph·pw runs of L values, run o holding member o of every block. A block's members are
/// then the same lane of ph·pw vectors, so one pass of SIMD arithmetic handles 16 blocks at a time.
/// The raster functions (`probabilities`, `sample`) reorder planes into that layout and back.
/// Nothing here allocates except the raster functions' stack scratch.
public enum ProbabilisticMaxPooling {
  typealias Lanes = SIMD16<Float>

  /// Turns bottom-up sums into probabilities, in place, in the block-major layout.
  ///
  /// - Parameters:
  ///   - values: rows × offsets × length raw sums x; on return P(h = 1 | v), with
  ///     I = (x + bias[row])·scale.
  ///   - bias: one bias per row (nil: no bias).
  ///   - scale: 1/σ² for Gaussian visible units, 1 for binary.
  ///   - valid: offsets × length, 1 for existing units and 0 for the missing members of ragged
  ///     blocks (whose probabilities come out exactly 0); nil when no block is ragged.
  ///   - off: rows × length; receives P(p = 0 | v) per block.
  ///   - pooled: rows × length; if not nil, receives P(p = 1 | v) per block.
  public static func blockProbabilities(
    rows: Int, offsets: Int, length: Int, values: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, scale: Float, valid: UnsafePointer<Float>?,
    off: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>?
  ) {
    // In C, compiled for each instruction set and chosen at run time (CDBNKernels): this loop is
    // exp-bound, and a plain build's SSE2 had it at 15 % of a CD-1 update against 6 % with AVX-512.
    cdbn_block_probabilities(rows, offsets, length, values, bias, scale, valid, off, pooled)
  }

  /// Draws one multinomial sample per block from `blockProbabilities`' output: `states` (rows ×
  /// length) gets 0 where the block is off and o + 1 where member o is on. One uniform per block,
  /// drawn row by row and block by block in order (two per 64-bit draw, `RandomStream.fillUniform`);
  /// `uniforms` is scratch for `length` floats.
  /// Returns the number of blocks that are on.
  ///
  /// The states are what the top-down pass needs (`ActivePatches` sums, per block, the filters of
  /// the groups that are on); `expand` turns them into one-hot detection states.
  @discardableResult
  public static func blockSample(
    rows: Int, offsets: Int, length: Int, probabilities: UnsafePointer<Float>,
    off: UnsafePointer<Float>, valid: UnsafePointer<Float>?,
    uniforms: UnsafeMutablePointer<Float>, rng: inout RandomStream,
    states: UnsafeMutablePointer<Float>
  ) -> Int {
    let zero = Lanes(repeating: 0)
    let one = Lanes(repeating: 1)
    var on = zero
    for r in 0..<rows {
      rng.fillUniform(UnsafeMutableBufferPointer(start: uniforms, count: length))
      let p = probabilities + r * offsets * length
      @inline(__always) func draw(_ q: Int, _ n: Int, _ keep: Int) {
        let u = load(uniforms + q, n)
        // Walk the cumulative distribution: off, then each member in order.
        var cumulative = load(off + r * length + q, n)
        var taken = u .< cumulative
        var state = zero
        for o in 0..<offsets {
          cumulative += load(p + o * length + q, n)
          let chosen = .!taken .& (u .< cumulative)
          taken = taken .| chosen
          state = state.replacing(with: Float(o + 1), where: chosen)
        }
        // Rounding can leave the cumulative sum a hair below 1: the last existing member takes that
        // slack (rare, so a scalar fix-up; lanes past n are never taken and stay 0).
        if any(.!taken) {
          for lane in keep..<n where !taken[lane] {
            var o = offsets - 1
            while let valid, o > 0, valid[o * length + q + lane] == 0 { o -= 1 }
            state[lane] = Float(o + 1)
          }
        }
        // Lanes below `keep` were drawn by the previous vector: count them once.
        on += zero.replacing(with: one, where: (state .> zero) .& (laneIndex .>= Float(keep)))
        store(state, states + r * length + q, n, keep: keep)
      }
      forEachVector(length, draw)
    }
    return Int(on.sum())
  }

  /// One-hot detection states (rows × offsets × length) and, if `pooled` is not nil, pooling states
  /// (rows × length) from `blockSample`'s block states.
  public static func expand(
    rows: Int, offsets: Int, length: Int, states: UnsafePointer<Float>,
    hidden: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>?
  ) {
    let zero = Lanes(repeating: 0)
    let one = Lanes(repeating: 1)
    for r in 0..<rows {
      let h = hidden + r * offsets * length
      // Not in place: lanes that two vectors share are written twice with the same value.
      forEachVector(length) { q, n, _ in
        let state = load(states + r * length + q, n)
        for o in 0..<offsets {
          store(zero.replacing(with: one, where: state .== Float(o + 1)), h + o * length + q, n)
        }
        if let pooled {
          store(zero.replacing(with: one, where: state .> 0), pooled + r * length + q, n)
        }
      }
    }
  }

  /// `blockProbabilities` for `count` raster planes [Hh, Wh] (values in place).
  ///
  /// - Parameters:
  ///   - bias: one bias per group of `planesPerBias` consecutive planes (nil: no bias).
  ///   - pooled: if not nil, receives P(p = 1 | v) per block, [count, Hp, Wp].
  ///   - off: count·pooledPlane floats; receives P(p = 0 | v) per block.
  public static func probabilities(
    _ g: PoolingShape, count: Int, values: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, planesPerBias: Int = 1, scale: Float = 1,
    pooled: UnsafeMutablePointer<Float>?, off: UnsafeMutablePointer<Float>
  ) {
    let o = g.blockGeometry
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * o.columns) { scratch in
      let block = scratch.baseAddress!
      let valid = o.validity(into: block + o.columns)
      block.initialize(repeating: 0, count: o.columns)
      for p in 0..<count {
        let x = values + p * g.plane
        g.toBlocks(x, block)
        blockProbabilities(
          rows: 1, offsets: o.offsets, length: o.length, values: block,
          bias: bias.map { $0 + p / planesPerBias }, scale: scale, valid: valid,
          off: off + p * g.pooledPlane, pooled: pooled.map { $0 + p * g.pooledPlane })
        g.fromBlocks(block, x)
      }
    }
  }

  /// `blockSample` for `count` raster planes: one uniform per block, plane by plane.
  public static func sample(
    _ g: PoolingShape, count: Int, probabilities: UnsafePointer<Float>,
    off: UnsafePointer<Float>, rng: inout RandomStream, hidden: UnsafeMutablePointer<Float>,
    pooled: UnsafeMutablePointer<Float>?
  ) {
    let o = g.blockGeometry
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * o.columns + 2 * o.length) {
      scratch in
      let block = scratch.baseAddress!
      let oneHot = block + o.columns
      let uniforms = oneHot + o.columns
      let states = uniforms + o.length
      let valid = o.validity(into: states + o.length)
      block.initialize(repeating: 0, count: o.columns)
      for p in 0..<count {
        g.toBlocks(probabilities + p * g.plane, block)
        blockSample(
          rows: 1, offsets: o.offsets, length: o.length, probabilities: block,
          off: off + p * g.pooledPlane, valid: valid, uniforms: uniforms, rng: &rng, states: states)
        expand(
          rows: 1, offsets: o.offsets, length: o.length, states: states, hidden: oneHot,
          pooled: pooled.map { $0 + p * g.pooledPlane })
        g.fromBlocks(oneHot, hidden + p * g.plane)
      }
    }
  }

  /// Calls `body(q, n, keep)` for the vectors of a row of `length` columns: whole vectors of 16 at
  /// q = 0, 16, ..., then the rest. A rest of a row of 16 or more is the row's last 16 columns, whose
  /// first `keep` lanes the previous vector has done already (so they are not stored again: the
  /// passes work in place); a shorter row is one partial vector of n lanes. Loading lanes one by
  /// one for a partial vector made pooling W1's rows of 100 blocks about twice as slow.
  @inline(__always)
  static func forEachVector(_ length: Int, _ body: (_ q: Int, _ n: Int, _ keep: Int) -> Void) {
    let whole = length - length % 16
    var q = 0
    while q < whole {
      body(q, 16, 0)
      q += 16
    }
    if whole == length { return }
    if length >= 16 {
      body(length - 16, 16, 16 - (length - whole))
    } else {
      body(0, length, 0)
    }
  }

  /// Stores the n lanes of `v` at p, except that the first `keep` floats keep their values.
  @inline(__always)
  static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ n: Int, keep: Int) {
    if keep == 0 {
      store(v, p, n)
    } else {
      let old = load(p, 16)
      store(old.replacing(with: v, where: laneIndex .>= Float(keep)), p, 16)
    }
  }

  /// 0, 1, ..., 15: a constant, not a lazily initialised global.
  @inline(__always)
  static var laneIndex: Lanes { Lanes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) }

  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, _ n: Int) -> Lanes {
    if n == 16 { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    var v = Lanes(repeating: 0)
    for i in 0..<n { v[i] = p[i] }
    return v
  }

  @inline(__always)
  static func load(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Lanes {
    load(UnsafePointer(p), n)
  }

  @inline(__always)
  static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n == 16 {
      UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
      return
    }
    for i in 0..<n { p[i] = v[i] }
  }
}

extension PoolingShape {
  /// The block-major layout of one plane.
  var blockGeometry: ColumnGeometry {
    ColumnGeometry(
      height: height, width: width, poolHeight: poolHeight, poolWidth: poolWidth, count: 1)
  }

  /// Copies a raster plane into the block-major layout (missing members untouched).
  func toBlocks(_ plane: UnsafePointer<Float>, _ block: UnsafeMutablePointer<Float>) {
    let o = blockGeometry
    for i in 0..<height {
      for j in 0..<width { block[o.column(example: 0, row: i, column: j)] = plane[i * width + j] }
    }
  }

  /// Copies a block-major plane back into raster order.
  func fromBlocks(_ block: UnsafePointer<Float>, _ plane: UnsafeMutablePointer<Float>) {
    let o = blockGeometry
    for i in 0..<height {
      for j in 0..<width { plane[i * width + j] = block[o.column(example: 0, row: i, column: j)] }
    }
  }
}
