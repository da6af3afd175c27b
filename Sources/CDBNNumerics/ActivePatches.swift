internal import CDBNKernels

/// The full convolution (the transpose of the valid correlation) of sampled pooling blocks with the
/// filters: the top-down pass of a CRBM with probabilistic max-pooling.
///
/// Sampling leaves at most one detection unit of a block on, so block (bi, bj)'s contribution to
/// channel c is Σ over the groups k that are on of W_k[c] placed at the member that is on, and all of
/// it lies in one window of (ph + fh − 1) × (pw + fw − 1) floats at (bi·ph, bj·pw). The window's rows
/// are summed in vector registers from padded copies of the filters, then added to the visible plane
/// once per block and channel. That is (groups on)·C·(window rows) vector adds and no store per
/// group; with every block on it is still under half the vector multiply–adds of the dense route
/// (an sgemm over every position, then col2im) for the bench's W1 and W2.
///
/// Each filter plane is copied once into rows padded with zero lanes, with ph − 1 zero rows above
/// and below, so every add is a whole vector: member (mi, mj) reads its window rows from (ph − 1 − mi)
/// rows into the copy and mj floats before each row's start, where the row before ends in zeros.
/// One copy per group and channel, not one per member column: 17–18 KB on W1 and W2, half of L1.
public final class ActivePatches: @unchecked Sendable {
  public let shape: ConvolutionShape
  public let poolHeight: Int
  public let poolWidth: Int
  /// 8 lanes when a window row fits in 8 floats, else 16.
  let lanes: Int
  /// Window rows (ph + fh − 1) and columns (pw + fw − 1).
  let windowHeight: Int
  let windowWidth: Int
  /// Floats per padded filter row: the window width rounded up to `lanes`.
  let rowStride: Int
  /// Rows per padded copy: fh filter rows with ph − 1 zero rows above and below.
  let copyRows: Int
  /// Zeros before the first copy (one row), read by the members with mj > 0.
  let guardFloats: Int
  /// `guardFloats` zeros, then [K, C, copyRows, rowStride]: row u of copy (k, c) holds
  /// W[k, c, u − (ph − 1), x] in lanes x < fw and zeros after.
  private let padded: UnsafeMutablePointer<Float>
  private let paddedCount: Int
  /// Per group k and block state (0: off, m + 1: member m on): where the window's row 0 of channel
  /// 0 starts in `padded`. The entry for state 0 is unused.
  private let stateOffsets: UnsafeMutablePointer<Int>

  public init(shape s: ConvolutionShape, poolHeight: Int, poolWidth: Int) {
    shape = s
    self.poolHeight = poolHeight
    self.poolWidth = poolWidth
    windowHeight = poolHeight + s.filterHeight - 1
    windowWidth = poolWidth + s.filterWidth - 1
    lanes = windowWidth <= 8 ? 8 : 16
    rowStride = (windowWidth + lanes - 1) / lanes * lanes
    copyRows = s.filterHeight + 2 * (poolHeight - 1)
    guardFloats = rowStride
    paddedCount = guardFloats + s.filters * s.channels * copyRows * rowStride
    padded = .allocate(capacity: paddedCount)
    padded.initialize(repeating: 0, count: paddedCount)
    let states = poolHeight * poolWidth + 1
    stateOffsets = .allocate(capacity: s.filters * states)
    let group = s.channels * copyRows * rowStride
    for k in 0..<s.filters {
      stateOffsets[k * states] = 0
      for m in 0..<(states - 1) {
        let (mi, mj) = (m / poolWidth, m % poolWidth)
        stateOffsets[k * states + m + 1] =
          guardFloats + k * group + (poolHeight - 1 - mi) * rowStride - mj
      }
    }
  }

  deinit {
    padded.deallocate()
    stateOffsets.deallocate()
  }

  /// Copies the filters [K, C, fh, fw] into the padded copies.
  public func load(filters: UnsafePointer<Float>) {
    let s = shape
    for plane in 0..<(s.filters * s.channels) {
      let copy = padded + guardFloats + plane * copyRows * rowStride
      for a in 0..<s.filterHeight {
        (copy + (poolHeight - 1 + a) * rowStride).update(
          from: filters + (plane * s.filterHeight + a) * s.filterWidth, count: s.filterWidth)
      }
    }
  }

  /// True when adding windows for `active` blocks' units is expected to be faster than the dense
  /// route (K·C·fh·fw multiply–adds per position, 16 per vector instruction, then col2im).
  ///
  /// A window row costs one vector add per group that is on, plus a load, add and store per block
  /// and a table lookup per group and block to list the groups. When the padded copies outgrow half
  /// of L2 (many groups and channels: 768 KB on W3) the adds wait on memory; the factor of 4 for that
  /// is an estimate, not a measurement (W3 was not timed with each route forced).
  public func isCheaper(active: Int, examples: Int) -> Bool {
    let s = shape
    let blocks =
      examples * ((s.outputHeight + poolHeight - 1) / poolHeight)
      * ((s.outputWidth + poolWidth - 1) / poolWidth)
    let rowVectors = s.channels * windowHeight * (rowStride / lanes)
    let memoryWeight = paddedCount * 4 > 512 * 1024 ? 4 : 1
    let windows = memoryWeight * active * rowVectors + blocks * (3 * rowVectors + s.filters)
    let multiplyAdds = s.filters * s.patchSize * s.outputPlane * examples / 16
    let col2im = s.patchSize * s.outputPlane * examples / 8
    return windows < multiplyAdds + col2im
  }

  /// Ints of scratch that `add` needs: the groups that are on in one block.
  public var scratchCount: Int { shape.filters }

  /// output += Σ_k full convolution of the one-hot states with W_k.
  ///
  /// - Parameters:
  ///   - states: K × `o.length` block states from `ProbabilisticMaxPooling.blockSample` (0: off,
  ///     m + 1: block member m on), in the block-major order of `o` (see `ColumnOrder.pooling`),
  ///     whose pooling must be this object's.
  ///   - output: [o.count, C, H, W].
  ///   - scratch: `scratchCount` ints.
  public func add(
    states: UnsafePointer<Float>, geometry o: ColumnGeometry, output: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Int>
  ) {
    precondition(o.poolHeight == poolHeight && o.poolWidth == poolWidth, "pooling mismatch")
    let s = shape
    var layout = cdbn_patches(
      filters: s.filters, channels: s.channels, height: s.height, width: s.width,
      pool_height: poolHeight, pool_width: poolWidth, window_height: windowHeight,
      row_stride: rowStride, copy_rows: copyRows, lanes: lanes, count: o.count,
      blocks_high: o.blocksHigh, blocks_wide: o.blocksWide)
    // The C kernel (CDBNKernels) runs on the best vector instructions the CPU has.
    cdbn_patches_add(&layout, padded, stateOffsets, states, output, scratch)
  }
}
