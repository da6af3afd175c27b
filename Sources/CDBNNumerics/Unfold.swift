/// im2col and col2im: the unfolded matrix that turns a multi-channel correlation into one sgemm.
///
/// For a chunk of `count` examples laid out [count, C, H, W], the unfolded matrix has C·fh·fw rows
/// and `order.columns(s, count:)` columns, one per output position (see `ColumnOrder`).
///
/// Both walk one input plane at a time and, inside it, one unfolded row after another (filter tap
/// (a, b), then output rows): consecutive copies touch different rows, so no vector load waits on a
/// store that it partly overlaps, which the row-by-row order did.
public enum Unfold {
  /// Writes the unfolded matrix of `count` examples at `input` into `columns`. Columns of positions
  /// that do not exist (the padding of ragged pooling blocks) are left as they are.
  public static func im2col(
    _ s: ConvolutionShape, count: Int, input: UnsafePointer<Float>,
    columns: UnsafeMutablePointer<Float>, order: ColumnOrder = .raster
  ) {
    let o = order.geometry(s, count: count)
    o.withRuns(s) { runs, plane in
      for c in 0..<s.channels {
        for e in 0..<count {
          let source = input + e * s.inputSize + c * s.inputPlane
          let split = o.splitPlane(source, s, into: plane)
          runs.forEach(channel: c, example: e) { row, column, start, n in
            copyRun(from: split + start, to: columns + (row &* o.columns &+ column), count: n)
          }
        }
      }
    }
  }

  /// d[0..<n] += r[0..<n] in 16-, 8- and 4-float vectors, then scalars; the compiler's own loop
  /// spends most of a short run in its scalar remainder.
  @inline(__always)
  static func addRun(from r: UnsafePointer<Float>, to d: UnsafeMutablePointer<Float>, count n: Int)
  {
    var j = 0
    @inline(__always) func add<V: SIMD>(_: V.Type) where V.Scalar == Float {
      while j &+ V.scalarCount <= n {
        let target = UnsafeMutableRawPointer(d + j)
        let sum =
          target.loadUnaligned(as: V.self) + UnsafeRawPointer(r + j).loadUnaligned(as: V.self)
        target.storeBytes(of: sum, as: V.self)
        j &+= V.scalarCount
      }
    }
    add(SIMD16<Float>.self)
    add(SIMD8<Float>.self)
    add(SIMD4<Float>.self)
    while j < n {
      d[j] += r[j]
      j &+= 1
    }
  }

  /// Copies a run of `n` floats as at most a few vector copies: runs are short (about Wo/pw), so a
  /// run of 8–16 is two 8-float copies that overlap in the middle, and longer runs end with a
  /// 16-float copy that overlaps the one before. Nothing outside the run is read or written, and
  /// the narrower copies split fewer cache lines than one 16-float copy would.
  @inline(__always)
  static func copyRun(from r: UnsafePointer<Float>, to d: UnsafeMutablePointer<Float>, count n: Int)
  {
    @inline(__always) func copy<V: SIMD>(_: V.Type, _ j: Int) where V.Scalar == Float {
      UnsafeMutableRawPointer(d + j).storeBytes(
        of: UnsafeRawPointer(r + j).loadUnaligned(as: V.self), as: V.self)
    }
    if n >= 16 {
      var j = 0
      while j &+ 16 <= n {
        copy(SIMD16<Float>.self, j)
        j &+= 16
      }
      if j < n { copy(SIMD16<Float>.self, n &- 16) }
    } else if n >= 8 {
      copy(SIMD8<Float>.self, 0)
      copy(SIMD8<Float>.self, n &- 8)
    } else if n >= 4 {
      copy(SIMD4<Float>.self, 0)
      copy(SIMD4<Float>.self, n &- 4)
    } else {
      for j in 0..<n { d[j] = r[j] }
    }
  }

  /// Adds the unfolded matrix `columns` back onto `output` ([count, C, H, W]): the adjoint of im2col,
  /// which is how the full convolution (transpose of the correlation) is assembled.
  public static func col2imAdd(
    _ s: ConvolutionShape, count: Int, columns: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, order: ColumnOrder = .raster
  ) {
    let o = order.geometry(s, count: count)
    o.withRuns(s) { runs, plane in
      for c in 0..<s.channels {
        for e in 0..<count {
          let target = output + e * s.inputSize + c * s.inputPlane
          // Sum into the plane's phases (contiguous runs), then interleave once.
          let sums = o.poolWidth == 1 ? target : plane
          if o.poolWidth > 1 { plane.update(repeating: 0, count: s.height * runs.rowLength) }
          runs.forEach(channel: c, example: e) { row, column, start, n in
            let d = sums + start
            let r = columns + row * o.columns + column
            addRun(from: r, to: d, count: n)
          }
          if o.poolWidth > 1 { o.mergeAddPlane(plane, s, into: target) }
        }
      }
    }
  }
}

/// The runs of the unfolded matrix that one input plane feeds, precomputed per call so that the
/// copy loops do no integer division.
struct UnfoldRuns {
  let geometry: ColumnGeometry
  let shape: ConvolutionShape
  /// Floats per row of a split plane: pw phases of ⌈W/pw⌉, or W when pw = 1.
  let rowLength: Int
  /// Per output row i: the column of (example 0, i, offset column 0).
  let rowStarts: UnsafePointer<Int>
  /// Per (filter column b, offset column sj): split-row start, column offset, length.
  let runs: UnsafePointer<Int>
  let offsetColumns: Int

  /// Calls `body(row, column, start, n)` for every run of plane (c, e): unfolded row `row` gets n
  /// floats at `column` from the split plane at `start`.
  @inline(__always)
  func forEach(
    channel c: Int, example e: Int,
    _ body: (_ row: Int, _ column: Int, _ start: Int, _ n: Int) -> Void
  ) {
    let s = shape
    let exampleColumn = e * geometry.blocks
    for a in 0..<s.filterHeight {
      let rowBase = (c * s.filterHeight + a) * s.filterWidth
      for b in 0..<s.filterWidth {
        var r = runs + b * offsetColumns * 3
        for _ in 0..<offsetColumns {
          let (phaseStart, offsetColumn, n) = (r[0], r[1] + exampleColumn, r[2])
          for i in 0..<geometry.height {
            body(rowBase + b, rowStarts[i] &+ offsetColumn, (i &+ a) &* rowLength &+ phaseStart, n)
          }
          r += 3
        }
      }
    }
  }
}

extension ColumnGeometry {
  /// Calls `body` with the run table of shape `s` and scratch for one split input plane.
  @inline(__always)
  func withRuns(_ s: ConvolutionShape, _ body: (UnfoldRuns, UnsafeMutablePointer<Float>) -> Void) {
    let offsetColumns = min(poolWidth, width)
    let ints = height + 3 * s.filterWidth * offsetColumns
    let rowLength = poolWidth == 1 ? s.width : poolWidth * phaseStride(width: s.width)
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
      // pw = 1 reads and writes the planes themselves. The split plane is zeroed once, so the
      // slots that splitting never writes (the ends of short phases) are finite.
      let planeFloats = poolWidth == 1 ? 1 : s.height * rowLength
      withUnsafeTemporaryAllocation(of: Float.self, capacity: planeFloats) { plane in
        plane.initialize(repeating: 0)
        body(
          UnfoldRuns(
            geometry: self, shape: s, rowLength: rowLength, rowStarts: rowStarts, runs: runs,
            offsetColumns: offsetColumns),
          plane.baseAddress!)
      }
    }
  }

  /// The length of one phase of a row split by `splitPlane`.
  @inline(__always)
  func phaseStride(width: Int) -> Int { (width + poolWidth - 1) / poolWidth }

  /// Splits every row of a plane into its pw phases (x[t], x[t+pw], ...), each a contiguous run, so
  /// that every block-major column run is one copy; a raster order uses the plane itself.
  @inline(__always)
  func splitPlane(
    _ plane: UnsafePointer<Float>, _ s: ConvolutionShape, into phases: UnsafeMutablePointer<Float>
  ) -> UnsafePointer<Float> {
    if poolWidth == 1 { return plane }
    forEachPhaseElement(s) { pixel, slot in phases[slot] = plane[pixel] }
    return UnsafePointer(phases)
  }

  /// The inverse of `splitPlane`, adding: row[t + i·pw] += phases[t][i] for every row.
  @inline(__always)
  func mergeAddPlane(
    _ phases: UnsafePointer<Float>, _ s: ConvolutionShape, into plane: UnsafeMutablePointer<Float>
  ) {
    forEachPhaseElement(s) { pixel, slot in plane[pixel] += phases[slot] }
  }

  /// Calls `body(pixel, slot)` for every pixel of a plane of shape `s` with its slot in the split
  /// plane: row y's phase t holds columns t, t + pw, ... at y·pw·⌈W/pw⌉ + t·⌈W/pw⌉ + 0, 1, ...
  @inline(__always)
  private func forEachPhaseElement(
    _ s: ConvolutionShape, _ body: (_ pixel: Int, _ slot: Int) -> Void
  ) {
    let stride = phaseStride(width: s.width)
    for y in 0..<s.height {
      for t in 0..<poolWidth {
        var x = t
        var slot = (y * poolWidth + t) * stride
        while x < s.width {
          body(y * s.width + x, slot)
          x += poolWidth
          slot += 1
        }
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
