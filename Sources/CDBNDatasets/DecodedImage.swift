import CDBNNumerics

/// One decoded picture: planar Float samples in [0, 1], laid out [C, H, W].
///
/// `channels` is 1 (gray) or 3 (RGB); an alpha channel is composited onto black when decoding.
public struct DecodedImage: Sendable, Equatable {
  /// The largest image accepted, in pixels (2^28), checked on the header before allocating.
  public static let maxPixels = 1 << 28

  public let width: Int
  public let height: Int
  /// 1 for gray, 3 for RGB.
  public let channels: Int
  /// Samples in [0, 1], plane by plane: index `(c * height + y) * width + x`.
  public var pixels: [Float]

  /// An image over existing planar samples; `pixels.count` must be `channels * height * width`.
  public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
    precondition(width >= 0 && height >= 0 && (channels == 1 || channels == 3))
    precondition(pixels.count == width * height * channels, "pixel count does not match the size")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// Decodes the PNG or JPEG file at `path`; the format is told by its magic bytes.
  public init(path: String) throws {
    try self.init(data: GzipFile.readAll(path: path), path: path)
  }

  /// Decodes PNG or JPEG bytes; `path` names the source in errors.
  public init(data: [UInt8], path: String) throws {
    let decoded: (width: Int, height: Int, channels: Int, samples: [UInt8])
    switch try Self.format(of: data, path: path) {
    case .png: decoded = try PNGCodec.decode(data, path: path, maxPixels: Self.maxPixels)
    case .jpeg: decoded = try JPEGCodec.decode(data, path: path, maxPixels: Self.maxPixels)
    }
    let (w, h, c) = (decoded.width, decoded.height, decoded.channels)
    // Codecs give interleaved rows (HWC); the toolkit works on planes (CHW).
    var planar = [Float](repeating: 0, count: w * h * c)
    decoded.samples.withUnsafeBufferPointer { src in
      planar.withUnsafeMutableBufferPointer { dst in
        let plane = w * h
        for i in 0..<plane {
          for k in 0..<c {
            dst[k * plane + i] = Float(src[i * c + k]) / 255
          }
        }
      }
    }
    self.init(width: w, height: h, channels: c, pixels: planar)
  }

  /// Width, height and channel count of the image at `path`, reading only what the header needs.
  public static func probe(path: String) throws -> (width: Int, height: Int, channels: Int) {
    let data = try GzipFile.readAll(path: path)
    switch try format(of: data, path: path) {
    case .png: return try PNGCodec.probe(data, path: path)
    case .jpeg: return try JPEGCodec.probe(data, path: path)
    }
  }

  /// This image as one gray channel, Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601).
  public func grayscale() -> DecodedImage {
    guard channels == 3 else { return self }
    let plane = width * height
    var gray = [Float](repeating: 0, count: plane)
    pixels.withUnsafeBufferPointer { p in
      for i in 0..<plane {
        let y = 0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i]
        gray[i] = min(max(y, 0), 1)
      }
    }
    return DecodedImage(width: width, height: height, channels: 1, pixels: gray)
  }

  /// This image as three channels; a gray image is repeated into R, G and B.
  public func rgb() -> DecodedImage {
    guard channels == 1 else { return self }
    return DecodedImage(width: width, height: height, channels: 3, pixels: pixels + pixels + pixels)
  }

  /// The image as a tensor of shape [1, C, H, W].
  public var tensor: Tensor {
    Tensor(shape: [1, channels, height, width], scalars: pixels)
  }

  private static func format(of data: [UInt8], path: String) throws -> ImageFormat {
    if data.isEmpty {
      throw DatasetError(.truncated, path: path, "file is empty")
    }
    guard let format = ImageFormat.detect(data) else {
      throw DatasetError(
        .unsupportedFormat, path: path, "not a PNG or JPEG file (unrecognised leading bytes)")
    }
    return format
  }
}
