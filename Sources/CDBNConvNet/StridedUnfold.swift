/// The sizes of a strided, zero-padded cross-correlation of C×H×W inputs with K filters C×kh×kw.
struct ConvolutionGeometry: Equatable {
  let channels: Int
  let height: Int
  let width: Int
  let filters: Int
  let kernel: Size2
  let stride: Size2
  let padding: Size2

  var outputHeight: Int { (height + 2 * padding.height - kernel.height) / stride.height + 1 }
  var outputWidth: Int { (width + 2 * padding.width - kernel.width) / stride.width + 1 }
  var outputPlane: Int { outputHeight * outputWidth }
  var inputPlane: Int { height * width }
  var inputSize: Int { channels * inputPlane }
  var outputSize: Int { filters * outputPlane }
  /// Rows of the unfolded matrix: C·kh·kw.
  var patchSize: Int { channels * kernel.height * kernel.width }
  var weightCount: Int { filters * patchSize }
}

@inline(__always) func ceilDiv(_ n: Int, _ d: Int) -> Int { n >= 0 ? (n + d - 1) / d : -((-n) / d) }
@inline(__always) func floorDiv(_ n: Int, _ d: Int) -> Int { n >= 0 ? n / d : -((-n + d - 1) / d) }

/// im2col and its adjoint for stride and zero padding, in the layout of `CDBNNumerics.Unfold`:
/// for `count` examples, C·kh·kw rows and count·Ho·Wo columns; column e·Ho·Wo + i·Wo + j holds
/// x[e, c, i·s_h + a − p_h, j·s_w + b − p_w] in row (c·kh + a)·kw + b, zero outside the input.
/// With stride 1 and no padding it gives the same matrix as `Unfold.im2col`.
enum StridedUnfold {
  /// The output columns j whose input column j·s + b − p lies in 0..<W.
  @inline(__always)
  static func validColumns(_ g: ConvolutionGeometry, b: Int) -> Range<Int> {
    let lo = max(0, ceilDiv(g.padding.width - b, g.stride.width))
    let hi = min(g.outputWidth, floorDiv(g.width - 1 + g.padding.width - b, g.stride.width) + 1)
    return lo..<max(lo, hi)
  }

  /// Calls `body(column, pixel, js)` for every unfolded row (c, a, b), example e and output row i:
  /// `column` is the offset in the unfolded matrix of that output row's first entry, `pixel` the
  /// offset in the input of the entry that output column j = 0 would read (input row y, column
  /// b − p_w), nil when row y is padding, and `js` the output columns that read inside the input.
  @inline(__always)
  static func forEachOutputRow(
    _ g: ConvolutionGeometry, count: Int,
    _ body: (_ column: Int, _ pixel: Int?, _ js: Range<Int>) -> Void
  ) {
    let (ho, wo, plane) = (g.outputHeight, g.outputWidth, g.outputPlane)
    let rowStride = count * plane
    var row = 0
    for c in 0..<g.channels {
      for a in 0..<g.kernel.height {
        for b in 0..<g.kernel.width {
          let js = validColumns(g, b: b)
          for e in 0..<count {
            let planeStart = e * g.inputSize + c * g.inputPlane + b - g.padding.width
            for i in 0..<ho {
              let y = i * g.stride.height + a - g.padding.height
              let inside = y >= 0 && y < g.height
              body(
                row * rowStride + e * plane + i * wo, inside ? planeStart + y * g.width : nil, js)
            }
          }
          row += 1
        }
      }
    }
  }

  static func im2col(
    _ g: ConvolutionGeometry, count: Int, input: UnsafePointer<Float>,
    columns: UnsafeMutablePointer<Float>
  ) {
    let (wo, sw) = (g.outputWidth, g.stride.width)
    forEachOutputRow(g, count: count) { column, pixel, js in
      let d = columns + column
      guard let pixel, !js.isEmpty else {
        d.update(repeating: 0, count: wo)
        return
      }
      if js.lowerBound > 0 { d.update(repeating: 0, count: js.lowerBound) }
      if js.upperBound < wo { (d + js.upperBound).update(repeating: 0, count: wo - js.upperBound) }
      let s = input + pixel
      if sw == 1 {
        (d + js.lowerBound).update(from: s + js.lowerBound, count: js.count)
      } else {
        for j in js { d[j] = s[j * sw] }
      }
    }
  }

  /// Adds the unfolded matrix back onto `output` [count, C, H, W]: the adjoint of `im2col`.
  static func col2imAdd(
    _ g: ConvolutionGeometry, count: Int, columns: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let sw = g.stride.width
    forEachOutputRow(g, count: count) { column, pixel, js in
      guard let pixel, !js.isEmpty else { return }
      let r = columns + column
      let d = output + pixel
      if sw == 1 {
        for j in js { d[j] += r[j] }
      } else {
        for j in js { d[j * sw] += r[j] }
      }
    }
  }
}
