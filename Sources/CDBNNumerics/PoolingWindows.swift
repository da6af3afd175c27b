/// The windows of 2-D pooling over H×W planes: windows of `window` rows×columns every `stride`,
/// each plane separately. With `ragged`, a last window clipped at the edge is kept when the input
/// does not divide evenly. The CNN's pooling layers and the PSD feature stage walk windows through it.
public struct PoolingWindows: Sendable, Equatable {
  public let height: Int
  public let width: Int
  public let windowHeight: Int
  public let windowWidth: Int
  public let strideHeight: Int
  public let strideWidth: Int
  public let outputHeight: Int
  public let outputWidth: Int

  public init(
    height: Int, width: Int, window: (height: Int, width: Int),
    stride: (height: Int, width: Int)? = nil, ragged: Bool
  ) {
    let stride = stride ?? window
    precondition(window.height > 0 && window.width > 0 && stride.height > 0 && stride.width > 0)
    precondition(window.height <= height && window.width <= width, "window larger than the input")
    self.height = height
    self.width = width
    windowHeight = window.height
    windowWidth = window.width
    strideHeight = stride.height
    strideWidth = stride.width
    outputHeight = Self.outputs(height, window.height, stride.height, ragged)
    outputWidth = Self.outputs(width, window.width, stride.width, ragged)
  }

  /// ⌊(n − k)/s⌋ + 1 windows, or with `ragged` ⌈(n − k)/s⌉ + 1 (a last window clipped at the edge),
  /// never counting a window that starts past the input.
  public static func outputs(_ n: Int, _ k: Int, _ s: Int, _ ragged: Bool) -> Int {
    guard ragged else { return (n - k) / s + 1 }
    var count = (n - k + s - 1) / s + 1
    while count > 1 && (count - 1) * s >= n { count -= 1 }
    return count
  }

  public var plane: Int { height * width }
  public var outputPlane: Int { outputHeight * outputWidth }

  /// Calls body(outputIndex, inputPlaneBase, rows, columns) for every window of `planes` planes laid
  /// out one after the other; output indices run over the planes' outputs in the same order.
  @inlinable @inline(__always)
  public func forEach(
    planes: Int, _ body: (_ o: Int, _ plane: Int, _ rows: Range<Int>, _ cols: Range<Int>) -> Void
  ) {
    var o = 0
    for p in 0..<planes {
      let base = p * height * width
      for i in 0..<outputHeight {
        let y0 = i * strideHeight
        let rows = y0..<min(y0 + windowHeight, height)
        for j in 0..<outputWidth {
          let x0 = j * strideWidth
          body(o, base, rows, x0..<min(x0 + windowWidth, width))
          o += 1
        }
      }
    }
  }

  /// The mean of every window (clipped windows divide by their own size).
  public func average(
    _ input: UnsafePointer<Float>, planes: Int, into output: UnsafeMutablePointer<Float>
  ) {
    let w = width
    forEach(planes: planes) { o, plane, rows, cols in
      var s: Float = 0
      for y in rows { for x in cols { s += input[plane + y * w + x] } }
      output[o] = s / Float(rows.count * cols.count)
    }
  }
}
