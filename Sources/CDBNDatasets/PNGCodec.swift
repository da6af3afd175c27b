internal import CPNG

/// The module's only contact with libpng, through its "simplified" png_image API.
///
/// That API reports errors in the png_image struct instead of longjmp-ing out of the call, so it is
/// safe to drive from Swift, and it expands every PNG flavour (1 to 16 bits, palette, tRNS, alpha)
/// to the 8-bit gray or RGB we ask for.
enum PNGCodec {
  /// The 8-byte PNG signature.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Width, height and the channels a decode gives (1 for gray sources, 3 for colour ones).
  static func probe(_ data: [UInt8], path: String) throws -> (
    width: Int, height: Int, channels: Int
  ) {
    try data.withUnsafeBytes { raw in
      try withImage { image in
        try beginRead(image, raw, path: path)
        png_image_free(image)
        return (Int(image.pointee.width), Int(image.pointee.height), isColor(image.pointee) ? 3 : 1)
      }
    }
  }

  /// Decodes to interleaved 8-bit samples, row by row; `maxPixels` is checked before allocating.
  static func decode(_ data: [UInt8], path: String, maxPixels: Int) throws -> (
    width: Int, height: Int, channels: Int, samples: [UInt8]
  ) {
    try data.withUnsafeBytes { raw in
      try withImage { image in
        try beginRead(image, raw, path: path)
        let width = Int(image.pointee.width)
        let height = Int(image.pointee.height)
        guard width > 0, height > 0, width * height <= maxPixels else {
          png_image_free(image)
          throw DatasetError(
            .tooLarge, path: path,
            "PNG of \(width)x\(height) pixels exceeds the limit of \(maxPixels) pixels")
        }
        let channels = isColor(image.pointee) ? 3 : 1
        image.pointee.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        // A 16-bit file without gAMA/sRGB would otherwise be read as linear light and
        // gamma-encoded on the way to 8 bits; treating it as sRGB keeps value/65535 ≈ output/255.
        image.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        // Alpha is composited onto the buffer's initial content: zeros, i.e. black.
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        let ok = samples.withUnsafeMutableBytes { out in
          png_image_finish_read(image, nil, out.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
          throw DatasetError(
            .decodeFailed, path: path, "invalid PNG: \(message(of: image.pointee))")
        }
        return (width, height, channels, samples)
      }
    }
  }

  /// PNG file bytes for 8-bit interleaved `samples` with 1 (gray) or 3 (RGB) channels.
  static func encode(samples: [UInt8], width: Int, height: Int, channels: Int, path: String) throws
    -> [UInt8]
  {
    try withImage { image in
      image.pointee.width = UInt32(width)
      image.pointee.height = UInt32(height)
      image.pointee.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
      let stride = Int32(width * channels)
      return try samples.withUnsafeBytes { input in
        // First call sizes the output, second writes it (libpng's documented two-pass pattern).
        var size = 0
        guard png_image_write_to_memory(image, nil, &size, 0, input.baseAddress, stride, nil) != 0
        else {
          throw DatasetError(
            .writeFailed, path: path, "PNG encoding failed: \(message(of: image.pointee))")
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { buffer in
          png_image_write_to_memory(
            image, buffer.baseAddress, &size, 0, input.baseAddress, stride, nil)
        }
        guard ok != 0 else {
          throw DatasetError(
            .writeFailed, path: path, "PNG encoding failed: \(message(of: image.pointee))")
        }
        out.removeSubrange(size...)
        return out
      }
    }
  }

  /// Runs `body` with a png_image at a fixed heap address: libpng keeps pointers to the struct
  /// itself (as the read callback's and error handler's context) from begin_read to finish_read,
  /// so it must not live in a Swift variable that may be copied or moved.
  private static func withImage<R>(_ body: (UnsafeMutablePointer<png_image>) throws -> R) rethrows
    -> R
  {
    let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
    image.initialize(to: png_image())
    image.pointee.version = UInt32(PNG_IMAGE_VERSION)
    defer { image.deallocate() }
    return try body(image)
  }

  private static func beginRead(
    _ image: UnsafeMutablePointer<png_image>, _ raw: UnsafeRawBufferPointer, path: String
  ) throws {
    guard raw.count > 0, png_image_begin_read_from_memory(image, raw.baseAddress, raw.count) != 0
    else {
      // On failure libpng has already released its internal state.
      throw DatasetError(.decodeFailed, path: path, "invalid PNG: \(message(of: image.pointee))")
    }
  }

  private static func isColor(_ image: png_image) -> Bool {
    image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
  }

  private static func message(of image: png_image) -> String {
    var text = image.message
    let string = withUnsafeBytes(of: &text) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    return string.isEmpty ? "unknown libpng error" : string
  }
}
