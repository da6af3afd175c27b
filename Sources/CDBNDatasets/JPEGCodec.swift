internal import CJPEG

/// The module's only contact with libjpeg(-turbo).
///
/// libjpeg signals errors by longjmp, which Swift cannot survive, so the decode runs inside the
/// setjmp-protected C helpers in CJPEG/shim.h; this file only validates sizes and owns the buffers.
enum JPEGCodec {
  /// Every JPEG starts with the SOI marker FF D8 followed by another marker FF xx.
  static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

  /// Width, height and the channels a decode gives (1 for grayscale JPEGs, 3 otherwise).
  static func probe(_ data: [UInt8], path: String) throws -> (
    width: Int, height: Int, channels: Int
  ) {
    var width: UInt32 = 0
    var height: UInt32 = 0
    var channels: Int32 = 0
    var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
    let status = data.withUnsafeBufferPointer { bytes in
      cdbn_jpeg_read_info(
        bytes.baseAddress, UInt(bytes.count), &width, &height, &channels, &message)
    }
    guard status == 0 else { throw failure(message, path: path) }
    return (Int(width), Int(height), Int(channels))
  }

  /// Decodes to interleaved 8-bit samples; `maxPixels` is checked on the header before allocating.
  static func decode(_ data: [UInt8], path: String, maxPixels: Int) throws -> (
    width: Int, height: Int, channels: Int, samples: [UInt8]
  ) {
    let (width, height, channels) = try probe(data, path: path)
    guard width > 0, height > 0, width * height <= maxPixels else {
      throw DatasetError(
        .tooLarge, path: path,
        "JPEG of \(width)x\(height) pixels exceeds the limit of \(maxPixels) pixels")
    }
    var samples = [UInt8](repeating: 0, count: width * height * channels)
    var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
    let status = data.withUnsafeBufferPointer { bytes in
      samples.withUnsafeMutableBufferPointer { out in
        cdbn_jpeg_decode(
          bytes.baseAddress, UInt(bytes.count), out.baseAddress, UInt32(width), UInt32(height),
          Int32(channels), &message)
      }
    }
    guard status == 0 else { throw failure(message, path: path) }
    return (width, height, channels, samples)
  }

  private static func failure(_ message: [CChar], path: String) -> DatasetError {
    let text = String(
      decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if text.contains("Premature end") {
      return DatasetError(.truncated, path: path, "JPEG data is truncated: \(text)")
    }
    return DatasetError(
      .decodeFailed, path: path, "invalid JPEG: \(text.isEmpty ? "unknown libjpeg error" : text)")
  }
}
