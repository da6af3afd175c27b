/// Geometry changes used to bring a folder of pictures to one size.
extension DecodedImage {
  /// This image scaled to `width` x `height` (aspect ratio not kept).
  ///
  /// A triangle (bilinear) filter whose support widens with the shrink factor, as MATLAB's
  /// `imresize` and PIL's `resize(BILINEAR)` do: enlarging is plain bilinear interpolation with
  /// pixel centres aligned (a resize to the same size is the identity), and shrinking averages
  /// every source pixel the output pixel covers instead of aliasing. Taps beyond the border are
  /// dropped and the rest renormalised.
  public func resized(width newWidth: Int, height newHeight: Int) -> DecodedImage {
    precondition(newWidth > 0 && newHeight > 0, "resize target must be positive")
    if newWidth == width && newHeight == height { return self }
    let xs = Self.resizeTaps(from: width, to: newWidth)
    let ys = Self.resizeTaps(from: height, to: newHeight)
    // Separable: rows first into [C, H, newWidth], then columns.
    var across = [Float](repeating: 0, count: channels * height * newWidth)
    var out = [Float](repeating: 0, count: channels * newHeight * newWidth)
    pixels.withUnsafeBufferPointer { src in
      across.withUnsafeMutableBufferPointer { mid in
        for row in 0..<(channels * height) {
          for (x, tap) in xs.enumerated() {
            var sum: Float = 0
            for (k, w) in tap.weights.enumerated() { sum += w * src[row * width + tap.first + k] }
            mid[row * newWidth + x] = sum
          }
        }
      }
    }
    across.withUnsafeBufferPointer { mid in
      out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<channels {
          for (y, tap) in ys.enumerated() {
            let row = (c * newHeight + y) * newWidth
            for (k, w) in tap.weights.enumerated() {
              let source = (c * height + tap.first + k) * newWidth
              for x in 0..<newWidth { dst[row + x] += w * mid[source + x] }
            }
          }
        }
      }
    }
    return DecodedImage(width: newWidth, height: newHeight, channels: channels, pixels: out)
  }

  /// For each of `n` output positions, the first source index and the normalised weights of the
  /// source positions `first...` it reads (a triangle of half-width max(1, scale) around the
  /// output pixel's centre in source coordinates).
  static func resizeTaps(from limit: Int, to n: Int) -> [(first: Int, weights: [Float])] {
    let scale = Double(limit) / Double(n)
    let support = max(1, scale)
    return (0..<n).map { i in
      let centre = (Double(i) + 0.5) * scale
      let low = max(0, Int((centre - support).rounded(.down)))
      let high = min(limit, Int((centre + support).rounded(.up)))
      // The nearest source pixel is within half a pixel of the centre, so the total is positive.
      let weights = (low..<high).map { j in max(0, 1 - abs(Double(j) + 0.5 - centre) / support) }
      let total = weights.reduce(0, +)
      return (low, weights.map { Float($0 / total) })
    }
  }

  /// The size this image has when its longer side is brought to `side` pixels, the aspect ratio
  /// kept (rounded, at least 1).
  public static func longestSideSize(width: Int, height: Int, side: Int) -> (
    width: Int, height: Int
  ) {
    let longest = Double(max(width, height))
    func scaled(_ v: Int) -> Int { max(1, Int((Double(v) * Double(side) / longest).rounded())) }
    return (scaled(width), scaled(height))
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
