/// Geometry changes used to bring a folder of pictures to one size.
extension DecodedImage {
  /// This image scaled to `width` x `height` by bilinear interpolation (aspect ratio not kept).
  ///
  /// Pixel centres are aligned (the half-pixel convention of OpenCV and PIL), so a resize to the
  /// same size is the identity. No antialiasing: shrinking by large factors aliases.
  public func resized(width newWidth: Int, height newHeight: Int) -> DecodedImage {
    precondition(newWidth > 0 && newHeight > 0, "resize target must be positive")
    if newWidth == width && newHeight == height { return self }
    let scaleX = Float(width) / Float(newWidth)
    let scaleY = Float(height) / Float(newHeight)
    // Source coordinates and weights depend only on the column (row), so compute them once.
    func taps(_ n: Int, _ scale: Float, _ limit: Int) -> [(Int, Int, Float)] {
      (0..<n).map { i in
        let s = min(max((Float(i) + 0.5) * scale - 0.5, 0), Float(limit - 1))
        let i0 = Int(s)
        return (i0, min(i0 + 1, limit - 1), s - Float(i0))
      }
    }
    let xs = taps(newWidth, scaleX, width)
    let ys = taps(newHeight, scaleY, height)
    var out = [Float](repeating: 0, count: channels * newWidth * newHeight)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<channels {
          let srcPlane = c * width * height
          let dstPlane = c * newWidth * newHeight
          for (y, (y0, y1, fy)) in ys.enumerated() {
            let row0 = srcPlane + y0 * width
            let row1 = srcPlane + y1 * width
            for (x, (x0, x1, fx)) in xs.enumerated() {
              let top = src[row0 + x0] + (src[row0 + x1] - src[row0 + x0]) * fx
              let bottom = src[row1 + x0] + (src[row1 + x1] - src[row1 + x0]) * fx
              dst[dstPlane + y * newWidth + x] = top + (bottom - top) * fy
            }
          }
        }
      }
    }
    return DecodedImage(width: newWidth, height: newHeight, channels: channels, pixels: out)
  }

  /// The central `width` x `height` region, or nil when the image is smaller than that.
  public func centerCropped(width newWidth: Int, height newHeight: Int) -> DecodedImage? {
    guard newWidth > 0, newHeight > 0, newWidth <= width, newHeight <= height else { return nil }
    let left = (width - newWidth) / 2
    let top = (height - newHeight) / 2
    var out = [Float]()
    out.reserveCapacity(channels * newWidth * newHeight)
    for c in 0..<channels {
      for y in top..<(top + newHeight) {
        let start = (c * height + y) * width + left
        out.append(contentsOf: pixels[start..<(start + newWidth)])
      }
    }
    return DecodedImage(width: newWidth, height: newHeight, channels: channels, pixels: out)
  }
}
