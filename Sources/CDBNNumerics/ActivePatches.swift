/// The full convolution (the transpose of the valid correlation) of sampled pooling blocks with the
/// filters, computed by adding filter W_k's C×fh×fw patch wherever a detection unit of group k is on.
///
/// Sampled probabilistic max-pooling leaves at most one unit per block on (and sparse training
/// targets far fewer), so this costs (units on)·C·fh vector adds where the dense route runs an sgemm
/// over every position and then col2im. `isCheaper` compares the two.
///
/// Filter rows are copied once per update into rows padded with zeros to the vector width, so every
/// add is a whole vector: the lanes past fw add 0 to the floats beside the patch. The output must
/// therefore have `outputPadding` readable and writable floats past its end.
public final class ActivePatches: @unchecked Sendable {
  public let shape: ConvolutionShape
  /// 8 lanes when a filter row fits in 8 floats, else 16.
  let lanes: Int
  /// Floats per padded filter row: fw rounded up to `lanes`.
  let rowStride: Int
  private let padded: UnsafeMutablePointer<Float>
  private let count: Int

  public init(shape s: ConvolutionShape) {
    shape = s
    lanes = s.filterWidth <= 8 ? 8 : 16
    rowStride = (s.filterWidth + lanes - 1) / lanes * lanes
    count = s.filters * s.channels * s.filterHeight * rowStride
    padded = .allocate(capacity: count)
    padded.initialize(repeating: 0, count: count)
  }

  deinit { padded.deallocate() }

  /// Floats past the end of the output that an add may touch (adding zero to them).
  public var outputPadding: Int { lanes }

  /// Copies the filters [K, C, fh, fw] into the padded rows.
  public func load(filters: UnsafePointer<Float>) {
    let fw = shape.filterWidth
    for row in 0..<(count / rowStride) {
      (padded + row * rowStride).update(from: filters + row * fw, count: fw)
    }
  }

  /// True when adding patches for `active` units is expected to be faster than the dense route: an
  /// sgemm of K·C·fh·fw multiply–adds per position (16 per vector instruction), then col2im.
  ///
  /// A patch row is a load, an add and a store of a whole vector, about three times the time of a
  /// vector multiply–add inside sgemm (measured on W1 of `cdbn bench`, Zen 4: both routes take the
  /// same time when a fifth of the detection units are on).
  public func isCheaper(active: Int, examples: Int) -> Bool {
    let s = shape
    let patchRows = active * s.channels * s.filterHeight * (rowStride / lanes)
    let multiplyAdds = s.filters * s.patchSize * s.outputPlane * examples / 16
    return 3 * patchRows < multiplyAdds
  }

  /// output += Σ_k full convolution of the one-hot states with W_k.
  ///
  /// - Parameters:
  ///   - states: K × `o.length` block states from `ProbabilisticMaxPooling.blockSample` (0: off,
  ///     m + 1: block member m on), in the block-major order of `o` (see `ColumnOrder.pooling`).
  ///   - output: [o.count, C, H, W] plus `outputPadding` floats.
  public func add(
    states: UnsafePointer<Float>, geometry o: ColumnGeometry, output: UnsafeMutablePointer<Float>
  ) {
    if lanes == 8 {
      add(SIMD8<Float>.self, states: states, geometry: o, output: output)
    } else {
      add(SIMD16<Float>.self, states: states, geometry: o, output: output)
    }
  }

  private func add<V: SIMD>(
    _: V.Type, states: UnsafePointer<Float>, geometry o: ColumnGeometry,
    output: UnsafeMutablePointer<Float>
  ) where V.Scalar == Float {
    let s = shape
    let patch = s.channels * s.filterHeight * rowStride
    withUnsafeTemporaryAllocation(of: Int.self, capacity: o.offsets) { table in
      // Member m of a block sits (m / pw) rows and (m % pw) columns from the block's corner.
      let memberOffset = table.baseAddress!
      for m in 0..<o.offsets { memberOffset[m] = (m / o.poolWidth) * s.width + m % o.poolWidth }
      // Blocks are visited in a lattice whose steps keep the vector rows of successive patches
      // apart: a patch that partly overlaps one stored an instant earlier stalls on store-to-load
      // forwarding, which made the natural order slower than the dense route.
      let rowStep = (s.filterHeight + 2 * (o.poolHeight - 1)) / o.poolHeight
      let columnStep = (rowStride + 2 * (o.poolWidth - 1)) / o.poolWidth
      for k in 0..<s.filters {
        let filter = UnsafePointer(padded + k * patch)
        for e in 0..<o.count {
          let example = output + e * s.inputSize
          let exampleStates = states + k * o.length + e * o.blocks
          for firstRow in 0..<min(rowStep, o.blocksHigh) {
            for firstColumn in 0..<min(columnStep, o.blocksWide) {
              for bi in stride(from: firstRow, to: o.blocksHigh, by: rowStep) {
                let blockStates = exampleStates + bi * o.blocksWide
                let rowCorner = example + bi * o.poolHeight * s.width
                for bj in stride(from: firstColumn, to: o.blocksWide, by: columnStep) {
                  let state = blockStates[bj]
                  if state == 0 { continue }
                  let corner = rowCorner + bj * o.poolWidth + memberOffset[Int(state) - 1]
                  addPatch(V.self, filter, at: corner)
                }
              }
            }
          }
        }
      }
    }
  }

  @inline(__always)
  private func addPatch<V: SIMD>(
    _: V.Type, _ filter: UnsafePointer<Float>, at corner: UnsafeMutablePointer<Float>
  ) where V.Scalar == Float {
    let s = shape
    var w = UnsafeRawPointer(filter)
    var plane = corner
    for _ in 0..<s.channels {
      var row = plane
      for _ in 0..<s.filterHeight {
        var x = 0
        while x < rowStride {
          let target = UnsafeMutableRawPointer(row + x)
          let sum =
            target.loadUnaligned(as: V.self) + w.loadUnaligned(fromByteOffset: 4 * x, as: V.self)
          target.storeBytes(of: sum, as: V.self)
          x += V.scalarCount
        }
        row += s.width
        w += 4 * rowStride
      }
      plane += s.inputPlane
    }
  }
}
