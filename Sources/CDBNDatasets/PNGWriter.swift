import CDBNStorage

/// Writes 8-bit PNG files, e.g. pictures of learned filters.
///
/// Files are written to a temporary name beside the target, synced and renamed into place
/// (`AtomicFile`), so a reader never sees a half-written PNG and a failed or interrupted write
/// leaves the old file intact.
public enum PNGWriter {
  /// Writes an 8-bit grayscale PNG from `gray` (row-major, `width * height` bytes).
  public static func write(gray: [UInt8], width: Int, height: Int, to path: String) throws {
    try write(samples: gray, width: width, height: height, channels: 1, to: path)
  }

  /// Writes an 8-bit grayscale PNG from values in [0, 1] (clamped; NaN is an error).
  public static func write(gray: [Float], width: Int, height: Int, to path: String) throws {
    try write(
      samples: quantize(gray, path: path), width: width, height: height, channels: 1, to: path)
  }

  /// Writes an 8-bit RGB PNG from interleaved `rgb` bytes (R, G, B per pixel, rows top-down).
  public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws {
    try write(samples: rgb, width: width, height: height, channels: 3, to: path)
  }

  /// Writes `image` (1 or 3 channels, values in [0, 1]) as an 8-bit gray or RGB PNG.
  public static func write(_ image: DecodedImage, to path: String) throws {
    let plane = image.width * image.height
    var interleaved = [Float](repeating: 0, count: plane * image.channels)
    for c in 0..<image.channels {
      for i in 0..<plane { interleaved[i * image.channels + c] = image.pixels[c * plane + i] }
    }
    try write(
      samples: quantize(interleaved, path: path), width: image.width, height: image.height,
      channels: image.channels, to: path)
  }

  private static func quantize(_ values: [Float], path: String) throws -> [UInt8] {
    if let bad = values.firstIndex(where: { $0.isNaN }) {
      throw DatasetError(.badValue, path: path, "pixel \(bad) is NaN")
    }
    return values.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
  }

  private static func write(
    samples: [UInt8], width: Int, height: Int, channels: Int, to path: String
  )
    throws
  {
    guard width > 0, height > 0, width <= 1 << 20, height <= 1 << 20 else {
      throw DatasetError(.invalidArgument, path: path, "invalid PNG size \(width)x\(height)")
    }
    guard samples.count == width * height * channels else {
      throw DatasetError(
        .badShape, path: path,
        "\(samples.count) samples given for a \(width)x\(height) image with \(channels) channel(s)")
    }
    let bytes = try PNGCodec.encode(
      samples: samples, width: width, height: height, channels: channels, path: path)
    do {
      try AtomicFile.write(bytes, to: path)
    } catch {
      throw DatasetError(.writeFailed, path: path, error.message)
    }
  }
}
