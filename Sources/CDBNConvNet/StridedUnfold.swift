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

  static func im2col(
    _ g: ConvolutionGeometry, count: Int, input: UnsafePointer<Float>,
    columns: UnsafeMutablePointer<Float>
  ) {
    let (ho, wo, plane) = (g.outputHeight, g.outputWidth, g.outputPlane)
    let (sh, sw) = (g.stride.height, g.stride.width)
    let rowStride = count * plane
    var row = 0
    for c in 0..<g.channels {
      for a in 0..<g.kernel.height {
        for b in 0..<g.kernel.width {
          let js = validColumns(g, b: b)
          let dstRow = columns + row * rowStride
          for e in 0..<count {
            let src = input + e * g.inputSize + c * g.inputPlane
            let dst = dstRow + e * plane
            for i in 0..<ho {
              let d = dst + i * wo
              let y = i * sh + a - g.padding.height
              guard y >= 0, y < g.height, !js.isEmpty else {
                d.update(repeating: 0, count: wo)
                continue
              }
              if js.lowerBound > 0 { d.update(repeating: 0, count: js.lowerBound) }
              if js.upperBound < wo {
                (d + js.upperBound).update(repeating: 0, count: wo - js.upperBound)
              }
              let s = src + y * g.width + b - g.padding.width
              if sw == 1 {
                (d + js.lowerBound).update(from: s + js.lowerBound, count: js.count)
              } else {
                for j in js { d[j] = s[j * sw] }
              }
            }
          }
          row += 1
        }
      }
    }
  }

  /// Adds the unfolded matrix back onto `output` [count, C, H, W]: the adjoint of `im2col`.
  static func col2imAdd(
    _ g: ConvolutionGeometry, count: Int, columns: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let (ho, wo, plane) = (g.outputHeight, g.outputWidth, g.outputPlane)
    let (sh, sw) = (g.stride.height, g.stride.width)
    let rowStride = count * plane
    var row = 0
    for c in 0..<g.channels {
      for a in 0..<g.kernel.height {
        for b in 0..<g.kernel.width {
          let js = validColumns(g, b: b)
          let srcRow = columns + row * rowStride
          if !js.isEmpty {
            for e in 0..<count {
              let dst = output + e * g.inputSize + c * g.inputPlane
              let src = srcRow + e * plane
              for i in 0..<ho {
                let y = i * sh + a - g.padding.height
                guard y >= 0, y < g.height else { continue }
                let r = src + i * wo
                let d = dst + y * g.width + b - g.padding.width
                if sw == 1 {
                  for j in js { d[j] += r[j] }
                } else {
                  for j in js { d[j * sw] += r[j] }
                }
              }
            }
          }
          row += 1
        }
      }
    }
  }
}
