/// The full convolution (the transpose of the valid correlation) of sampled pooling blocks with the
/// filters, computed by adding filter W_k's C×fh×fw patch wherever a detection unit of group k is on.
///
/// Sampled probabilistic max-pooling leaves at most one unit per block on (and sparse training
/// targets far fewer), so this costs (units on)·C·fh vector adds where the dense route runs an sgemm
/// over every position and then col2im. `isCheaper` compares the two.
///
/// Filter rows are copied once per update into rows padded with zeros to the vector width, so every
/// add is a whole vector: the lanes past fw add 0 to the floats beside the patch, in scratch that is
/// padded for it.
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
  /// A patch row is a load, an add and a store of a whole vector, which with the scattered
  /// addresses costs about six vector multiply–adds inside sgemm. Measured with `cdbn bench` on Zen 4
  /// with both routes forced: on W1 and W2, where 60–75 % of the blocks are on (patch rows per
  /// multiply–add vector 0.23–0.30), the dense route took 5 % (W1) and 20 % (W2) less CPU per
  /// update, so the patches must be well below that ratio to be chosen.
  public func isCheaper(active: Int, examples: Int) -> Bool {
    let s = shape
    let patchRows = active * s.channels * s.filterHeight * (rowStride / lanes)
    let multiplyAdds = s.filters * s.patchSize * s.outputPlane * examples / 16
    return 6 * patchRows < multiplyAdds
  }

  /// Partial sums kept apart so that patches that overlap are far apart in time (see `add`).
  var copies: Int { min(8, shape.filters) }

  /// Floats of scratch that `add` needs for `examples` examples.
  public func scratchCount(examples: Int) -> Int {
    copies * examples * shape.inputSize + lanes
  }

  /// output += Σ_k full convolution of the one-hot states with W_k.
  ///
  /// Blocks are visited one position at a time with the groups innermost, and group k adds into
  /// partial sum k mod 8: patches at nearby positions then land in different buffers, and a patch
  /// never reads a vector that partly overlaps one stored an instant earlier (a store-to-load
  /// forwarding stall, which made plain loops over each group slower than the dense route).
  ///
  /// - Parameters:
  ///   - states: K × `o.length` block states from `ProbabilisticMaxPooling.blockSample` (0: off,
  ///     m + 1: block member m on), in the block-major order of `o` (see `ColumnOrder.pooling`).
  ///   - output: [o.count, C, H, W].
  ///   - scratch: `scratchCount(examples: o.count)` floats.
  public func add(
    states: UnsafePointer<Float>, geometry o: ColumnGeometry, output: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let floats = o.count * shape.inputSize
    scratch.update(repeating: 0, count: copies * floats + lanes)
    if lanes == 8 {
      add(SIMD8<Float>.self, states: states, geometry: o, sums: scratch)
    } else {
      add(SIMD16<Float>.self, states: states, geometry: o, sums: scratch)
    }
    for c in 0..<copies {
      BLAS.saxpy(count: floats, alpha: 1, x: scratch + c * floats, y: output)
    }
  }

  private func add<V: SIMD>(
    _: V.Type, states: UnsafePointer<Float>, geometry o: ColumnGeometry,
    sums: UnsafeMutablePointer<Float>
  ) where V.Scalar == Float {
    let s = shape
    let patch = s.channels * s.filterHeight * rowStride
    let copyStride = o.count * s.inputSize
    withUnsafeTemporaryAllocation(of: Int.self, capacity: o.offsets) { table in
      // Member m of a block sits (m / pw) rows and (m % pw) columns from the block's corner.
      let memberOffset = table.baseAddress!
      for m in 0..<o.offsets { memberOffset[m] = (m / o.poolWidth) * s.width + m % o.poolWidth }
      for e in 0..<o.count {
        for bi in 0..<o.blocksHigh {
          for bj in 0..<o.blocksWide {
            let block = e * o.blocks + bi * o.blocksWide + bj
            let corner = e * s.inputSize + bi * o.poolHeight * s.width + bj * o.poolWidth
            var copy = 0
            for k in 0..<s.filters {
              let state = states[k * o.length + block]
              if state != 0 {
                let target = sums + (copy * copyStride + corner + memberOffset[Int(state) - 1])
                addPatch(V.self, UnsafePointer(padded + k * patch), at: target)
              }
              copy = copy + 1 == copies ? 0 : copy + 1
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
