/// Window counts of pooling along one dimension.
enum PoolingGeometry {
  /// ⌊(n − k)/s⌋ + 1 windows, or with `ragged` ⌈(n − k)/s⌉ + 1 (a last window clipped at the edge),
  /// never counting a window that starts past the input.
  static func outputs(_ n: Int, _ k: Int, _ s: Int, _ ragged: Bool) -> Int {
    guard ragged else { return (n - k) / s + 1 }
    var count = ceilDiv(n - k, s) + 1
    while count > 1 && (count - 1) * s >= n { count -= 1 }
    return count
  }
}

/// Max, average or L2 pooling over windows of `size` every `stride`, each channel separately.
///
/// Max sends the gradient to the first largest input of each window; average divides by the
/// (possibly clipped) window size; L2 is y = sqrt(Σ x²) with dy/dx = x/y, taken as 0 when y = 0
/// (the subgradient at the origin).
public final class PoolingLayer: NetworkLayer {
  public let function: PoolingFunction
  public let size: Size2
  public let stride: Size2
  public let ragged: Bool
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
    super.init(index: index, inputShape: inputShape, outputShape: out, parameters: [])
  }

  deinit { argmax.deallocate() }

  public override var spec: LayerSpec {
    LayerSpec.pooling(function, size: size, stride: stride, ragged: ragged).canonical
  }

  public override func replica() -> NetworkLayer {
    try! PoolingLayer(
      index: index, inputShape: inputShape, function: function, size: size, stride: stride,
      ragged: ragged)
  }

  override func reserveScratch(_ examples: Int) {
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
    let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
    let (ho, wo) = (outputShape[1], outputShape[2])
    var o = 0
    for p in 0..<(count * c) {
      let plane = p * h * w
      for i in 0..<ho {
        let y0 = i * stride.height
        let rows = y0..<min(y0 + size.height, h)
        for j in 0..<wo {
          let x0 = j * stride.width
          body(o, plane, rows, x0..<min(x0 + size.width, w))
          o += 1
        }
      }
    }
  }

  override func forwardKernel(
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
      forEachWindow(count: count) { o, plane, rows, cols in
        var s: Float = 0
        for y in rows { for x in cols { s += input[plane + y * w + x] } }
        output[o] = s / Float(rows.count * cols.count)
      }
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

  override func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    guard let gradInput else { return }
    let w = inputShape[2]
    gradInput.update(repeating: 0, count: count * inputSize)
    let argmax = self.argmax
    let y = output.pointer
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
