/// im2col and col2im: the unfolded matrix that turns a multi-channel correlation into one sgemm.
///
/// For a chunk of `count` examples laid out [count, C, H, W], the unfolded matrix has C·fh·fw rows
/// and `order.columns(s, count:)` columns, one per output position (see `ColumnOrder`).
public enum Unfold {
  /// Writes the unfolded matrix of `count` examples at `input` into `columns`. Columns of positions
  /// that do not exist (the padding of ragged pooling blocks) are left as they are.
  public static func im2col(
    _ s: ConvolutionShape, count: Int, input: UnsafePointer<Float>,
    columns: UnsafeMutablePointer<Float>, order: ColumnOrder = .raster
  ) {
    let o = order.geometry(s, count: count)
    o.withRuns(s) { runs, phases in
      for c in 0..<s.channels {
        for e in 0..<count {
          for y in 0..<s.height {
            let source = input + e * s.inputSize + c * s.inputPlane + y * s.width
            let split = o.split(source, width: s.width, into: phases)
            runs.forEach(channel: c, example: e, inputRow: y) { row, column, start, n in
              // Runs are short (about Wo/pw): a plain loop beats a memmove call.
              let d = columns + row * o.columns + column
              let r = split + start
              for j in 0..<n { d[j] = r[j] }
            }
          }
        }
      }
    }
  }

  /// Adds the unfolded matrix `columns` back onto `output` ([count, C, H, W]): the adjoint of im2col,
  /// which is how the full convolution (transpose of the correlation) is assembled.
  public static func col2imAdd(
    _ s: ConvolutionShape, count: Int, columns: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, order: ColumnOrder = .raster
  ) {
    let o = order.geometry(s, count: count)
    o.withRuns(s) { runs, phases in
      for c in 0..<s.channels {
        for e in 0..<count {
          for y in 0..<s.height {
            let target = output + e * s.inputSize + c * s.inputPlane + y * s.width
            // Sum into the row's phases (contiguous runs), then interleave once.
            let sums = o.poolWidth == 1 ? target : phases
            if o.poolWidth > 1 { phases.update(repeating: 0, count: s.width + o.poolWidth) }
            runs.forEach(channel: c, example: e, inputRow: y) { row, column, start, n in
              let d = sums + start
              let r = columns + row * o.columns + column
              for j in 0..<n { d[j] += r[j] }
            }
            if o.poolWidth > 1 { o.mergeAdd(phases, width: s.width, into: target) }
          }
        }
      }
    }
  }
}

/// The runs of the unfolded matrix that one input row feeds, precomputed per call so that the
/// copy loops do no integer division.
struct UnfoldRuns {
  let geometry: ColumnGeometry
  let shape: ConvolutionShape
  /// Per output row i: the column of (example 0, i, offset column 0).
  let rowStarts: UnsafePointer<Int>
  /// Per (filter column b, offset column sj): split-row start, column offset, length.
  let runs: UnsafePointer<Int>
  let offsetColumns: Int

  @inline(__always)
  func forEach(
    channel c: Int, example e: Int, inputRow y: Int,
    _ body: (_ row: Int, _ column: Int, _ start: Int, _ n: Int) -> Void
  ) {
    let s = shape
    let exampleColumn = e * geometry.blocks
    for a in max(0, y - geometry.height + 1)...min(s.filterHeight - 1, y) {
      let rowColumn = rowStarts[y - a] + exampleColumn
      let rowBase = (c * s.filterHeight + a) * s.filterWidth
      for b in 0..<s.filterWidth {
        var r = runs + b * offsetColumns * 3
        for _ in 0..<offsetColumns {
          body(rowBase + b, rowColumn + r[1], r[0], r[2])
          r += 3
        }
      }
    }
  }
}

extension ColumnGeometry {
  /// Calls `body` with the run table of shape `s` and scratch for one split input row.
  @inline(__always)
  func withRuns(_ s: ConvolutionShape, _ body: (UnfoldRuns, UnsafeMutablePointer<Float>) -> Void) {
    let offsetColumns = min(poolWidth, width)
    let ints = height + 3 * s.filterWidth * offsetColumns
    withUnsafeTemporaryAllocation(of: Int.self, capacity: ints) { table in
      let rowStarts = table.baseAddress!
      for i in 0..<height { rowStarts[i] = rowStart(example: 0, row: i) }
      let runs = rowStarts + height
      let stride = phaseStride(width: s.width)
      for b in 0..<s.filterWidth {
        for sj in 0..<offsetColumns {
          // Output column j = bj·pw + sj reads input column j + b: phase (sj + b) % pw.
          let r = runs + (b * offsetColumns + sj) * 3
          r[0] = ((sj + b) % poolWidth) * stride + (sj + b) / poolWidth
          r[1] = sj * length
          r[2] = (width - sj + poolWidth - 1) / poolWidth
        }
      }
      withUnsafeTemporaryAllocation(of: Float.self, capacity: s.width + poolWidth) { line in
        body(
          UnfoldRuns(
            geometry: self, shape: s, rowStarts: rowStarts, runs: runs,
            offsetColumns: offsetColumns), line.baseAddress!)
      }
    }
  }

  /// The length of one phase of a row split by `split`.
  @inline(__always)
  func phaseStride(width: Int) -> Int { (width + poolWidth - 1) / poolWidth }

  /// Splits an input row into its pw phases (x[t], x[t+pw], ...), each a contiguous run, so that
  /// every block-major column run is one copy; a raster order uses the row itself.
  @inline(__always)
  func split(_ row: UnsafePointer<Float>, width: Int, into phases: UnsafeMutablePointer<Float>)
    -> UnsafePointer<Float>
  {
    if poolWidth == 1 { return row }
    let stride = phaseStride(width: width)
    for t in 0..<poolWidth {
      let d = phases + t * stride
      var x = t
      var i = 0
      while x < width {
        d[i] = row[x]
        x += poolWidth
        i += 1
      }
    }
    return UnsafePointer(phases)
  }

  /// The inverse of `split`, adding: row[t + i·pw] += phases[t][i].
  @inline(__always)
  func mergeAdd(_ phases: UnsafePointer<Float>, width: Int, into row: UnsafeMutablePointer<Float>) {
    let stride = phaseStride(width: width)
    for t in 0..<poolWidth {
      let s = phases + t * stride
      var x = t
      var i = 0
      while x < width {
        row[x] += s[i]
        x += poolWidth
        i += 1
      }
    }
  }
}

/// Where the unfolded matrix puts the column of output position (e, i, j) of a chunk.
///
/// `.raster` is e·Ho·Wo + i·Wo + j. `.pooling(ph, pw)` is block-major: position (i, j) lies in
/// pooling block (i/ph, j/pw) at offset (i%ph, j%pw) inside it, and the column is
///   offset·L + e·B + block,   L = count·B,  B = ⌈Ho/ph⌉·⌈Wo/pw⌉,
/// so each of the ph·pw offsets owns a contiguous run of L columns, one per block. Probabilistic
/// max-pooling then combines the members of a block element-wise across those runs, in full vectors.
/// Blocks cut by the edge leave their missing members' columns unused.
public struct ColumnOrder: Sendable, Equatable {
  public let poolHeight: Int
  public let poolWidth: Int

  public static let raster = ColumnOrder(poolHeight: 1, poolWidth: 1)

  public static func pooling(_ poolHeight: Int, _ poolWidth: Int) -> ColumnOrder {
    ColumnOrder(poolHeight: poolHeight, poolWidth: poolWidth)
  }

  /// The sizes of this order for a chunk of `count` examples of shape `s`.
  public func geometry(_ s: ConvolutionShape, count: Int) -> ColumnGeometry {
    ColumnGeometry(
      height: s.outputHeight, width: s.outputWidth, poolHeight: poolHeight, poolWidth: poolWidth,
      count: count)
  }
}

/// `ColumnOrder` resolved for one output plane size and chunk length.
public struct ColumnGeometry: Sendable, Equatable {
  public let height: Int
  public let width: Int
  public let poolHeight: Int
  public let poolWidth: Int
  public let count: Int

  public init(height: Int, width: Int, poolHeight: Int, poolWidth: Int, count: Int) {
    self.height = height
    self.width = width
    self.poolHeight = poolHeight
    self.poolWidth = poolWidth
    self.count = count
  }

  public var blocksHigh: Int { (height + poolHeight - 1) / poolHeight }
  public var blocksWide: Int { (width + poolWidth - 1) / poolWidth }
  /// Blocks per example plane.
  public var blocks: Int { blocksHigh * blocksWide }
  /// Members per block: ph·pw.
  public var offsets: Int { poolHeight * poolWidth }
  /// Columns per member offset: count·blocks.
  public var length: Int { count * blocks }
  /// All columns, including those of missing members of ragged blocks.
  public var columns: Int { offsets * length }
  /// True when some blocks are cut by the plane's edge.
  public var isRagged: Bool { height % poolHeight != 0 || width % poolWidth != 0 }

  /// The column of position (row, 0)'s offset row: add `sj·length + j/pw` for column j.
  @inline(__always)
  public func rowStart(example e: Int, row i: Int) -> Int {
    (i % poolHeight) * poolWidth * length + e * blocks + (i / poolHeight) * blocksWide
  }

  /// The column of output position (e, i, j).
  @inline(__always)
  public func column(example e: Int, row i: Int, column j: Int) -> Int {
    rowStart(example: e, row: i) + (j % poolWidth) * length + j / poolWidth
  }

  /// Writes `columns` floats to `buffer`: 1 for columns of existing positions, 0 for the missing
  /// members of ragged blocks. Returns the mask, or nil (writing nothing) when no block is ragged.
  public func validity(into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>? {
    guard isRagged else { return nil }
    buffer.update(repeating: 0, count: columns)
    for e in 0..<count {
      for i in 0..<height {
        for j in 0..<width { buffer[column(example: e, row: i, column: j)] = 1 }
      }
    }
    return UnsafePointer(buffer)
  }
}
