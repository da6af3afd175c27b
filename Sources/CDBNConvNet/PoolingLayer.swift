import CDBNNumerics

/// Max, average or L2 pooling over windows of `size` every `stride`, each channel separately.
///
/// Max sends the gradient to the first largest input of each window; average divides by the
/// (possibly clipped) window size; L2 is y = sqrt(Σ x²) with dy/dx = x/y, taken as 0 when y = 0
/// (the subgradient at the origin).
public final class PoolingLayer: NetworkLayer {
  public let storage: LayerStorage
  public let function: PoolingFunction
  public let size: Size2
  public let stride: Size2
  public let ragged: Bool
  let windows: PoolingWindows
  private var argmax: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)

  init(
    index: Int, inputShape: [Int], function: PoolingFunction, size: Size2, stride: Size2?,
    ragged: Bool
  ) throws(ConvNetError) {
    let spec = LayerSpec.pooling(function, size: size, stride: stride, ragged: ragged)
    let out = try spec.outputShape(for: inputShape, index: index)
    self.function = function
    self.size = size
    self.stride = stride ?? size
    self.ragged = ragged
    windows = PoolingWindows(
      height: inputShape[1], width: inputShape[2], window: (size.height, size.width),
      stride: (self.stride.height, self.stride.width), ragged: ragged)
    storage = LayerStorage(
      index: index, inputShape: inputShape, outputShape: out, parameters: [])
  }

  deinit { argmax.deallocate() }

  public var spec: LayerSpec {
    LayerSpec.pooling(function, size: size, stride: stride, ragged: ragged).canonical
  }

  /// A copy with buffers of its own.
  private init(replicating other: PoolingLayer) {
    function = other.function
    size = other.size
    stride = other.stride
    ragged = other.ragged
    windows = other.windows
    storage = other.storage.replica()
  }

  public func replica() -> any NetworkLayer { PoolingLayer(replicating: self) }

  public func reserveScratch(_ examples: Int) {
    if function == .max {
      argmax.deallocate()
      argmax = .allocate(capacity: max(1, examples * outputSize))
    }
  }

  /// Calls body(outputIndex, inputPlaneBase, y0..<y1, x0..<x1) for every window of `count` examples.
  @inline(__always)
  private func forEachWindow(
    count: Int, _ body: (_ o: Int, _ plane: Int, _ rows: Range<Int>, _ cols: Range<Int>) -> Void
  ) {
    windows.forEach(planes: count * inputShape[0], body)
  }

  public func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let w = inputShape[2]
    let argmax = self.argmax
    switch function {
    case .max:
      forEachWindow(count: count) { o, plane, rows, cols in
        var best = -Float.infinity
        var at = rows.lowerBound * w + cols.lowerBound
        for y in rows {
          for x in cols where input[plane + y * w + x] > best {
            best = input[plane + y * w + x]
            at = y * w + x
          }
        }
        output[o] = best
        argmax[o] = Int32(at)
      }
    case .average:
      windows.average(input, planes: count * inputShape[0], into: output)
    case .l2:
      forEachWindow(count: count) { o, plane, rows, cols in
        var s: Float = 0
        for y in rows {
          for x in cols {
            let v = input[plane + y * w + x]
            s += v * v
          }
        }
        output[o] = s.squareRoot()
      }
    }
  }

  public func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    guard let gradInput else { return }
    let w = inputShape[2]
    gradInput.update(repeating: 0, count: count * inputSize)
    let argmax = self.argmax
    let y = storage.output.pointer
    switch function {
    case .max:
      forEachWindow(count: count) { o, plane, _, _ in
        gradInput[plane + Int(argmax[o])] += gradOutput[o]
      }
    case .average:
      forEachWindow(count: count) { o, plane, rows, cols in
        let g = gradOutput[o] / Float(rows.count * cols.count)
        for r in rows { for x in cols { gradInput[plane + r * w + x] += g } }
      }
    case .l2:
      forEachWindow(count: count) { o, plane, rows, cols in
        guard y[o] > 0 else { return }
        let g = gradOutput[o] / y[o]
        for r in rows {
          for x in cols { gradInput[plane + r * w + x] += g * input[plane + r * w + x] }
        }
      }
    }
  }
}
