/// im2col and col2im: the unfolded matrix that turns a multi-channel correlation into one sgemm.
///
/// For a chunk of `count` examples laid out [count, C, H, W], the unfolded matrix has C·fh·fw rows
/// and count·Ho·Wo columns: column (e·Ho·Wo + i·Wo + j) holds the patch at (i, j) of example e.
/// Every inner loop copies or adds one contiguous run of Wo values.
public enum Unfold {
  /// Writes the unfolded matrix of `count` examples at `input` into `columns`.
  public static func im2col(
    _ s: ConvolutionShape, count: Int, input: UnsafePointer<Float>,
    columns: UnsafeMutablePointer<Float>
  ) {
    let ho = s.outputHeight
    let wo = s.outputWidth
    let plane = s.outputPlane
    let rowStride = count * plane
    var row = 0
    for c in 0..<s.channels {
      for a in 0..<s.filterHeight {
        for b in 0..<s.filterWidth {
          let dstRow = columns + row * rowStride
          for e in 0..<count {
            let src = input + e * s.inputSize + c * s.inputPlane + a * s.width + b
            let dst = dstRow + e * plane
            for i in 0..<ho {
              (dst + i * wo).update(from: src + i * s.width, count: wo)
            }
          }
          row += 1
        }
      }
    }
  }

  /// Adds the unfolded matrix `columns` back onto `output` ([count, C, H, W]): the adjoint of im2col,
  /// which is how the full convolution (transpose of the correlation) is assembled.
  public static func col2imAdd(
    _ s: ConvolutionShape, count: Int, columns: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let ho = s.outputHeight
    let wo = s.outputWidth
    let plane = s.outputPlane
    let rowStride = count * plane
    var row = 0
    for c in 0..<s.channels {
      for a in 0..<s.filterHeight {
        for b in 0..<s.filterWidth {
          let srcRow = columns + row * rowStride
          for e in 0..<count {
            let dst = output + e * s.inputSize + c * s.inputPlane + a * s.width + b
            let src = srcRow + e * plane
            for i in 0..<ho {
              let d = dst + i * s.width
              let r = src + i * wo
              for j in 0..<wo { d[j] += r[j] }
            }
          }
          row += 1
        }
      }
    }
  }
}
