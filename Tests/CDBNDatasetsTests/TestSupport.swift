import Foundation
import Testing

@testable import CDBNDatasets

/// The real data embedded in the repository's Data/ folder; tests read it in place.
enum SharedData {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Data").path
  static let t10kImages = root + "/mnist/t10k-images-idx3-ubyte.gz"
  static let t10kLabels = root + "/mnist/t10k-labels-idx1-ubyte.gz"
  static let csv5k = root + "/mnist/mnist_5k.csv.gz"
  static let camera = root + "/natural-images/camera.png"
  static let rocket = root + "/natural-images/rocket.jpg"
}

/// Runs `body`, requires a DatasetError of `kind` whose description names `path`, and returns it.
@discardableResult
func expectDatasetError(
  _ kind: DatasetError.Kind, path: String, sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Void
) -> DatasetError? {
  do {
    try body()
    Issue.record(
      "expected a DatasetError.\(kind) about \(path), got success", sourceLocation: sourceLocation)
    return nil
  } catch let error as DatasetError {
    #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    #expect(error.description.contains(path), "\(error)", sourceLocation: sourceLocation)
    return error
  } catch {
    Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Hand-made compressed formats, so fixtures are built at test time without any tool.
enum Encoders {
  static func crc32<S: Sequence<UInt8>>(_ bytes: S) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
  }

  static func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in bytes {
      a = (a + UInt32(byte)) % 65521
      b = (b + a) % 65521
    }
    return b << 16 | a
  }

  /// Deflate "stored" (uncompressed) blocks: valid for every inflater.
  static func storedDeflate(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var start = 0
    repeat {
      let end = min(start + 65535, bytes.count)
      let length = UInt16(end - start)
      out.append(end == bytes.count ? 1 : 0)
      out += littleEndian16(length) + littleEndian16(~length)
      out += bytes[start..<end]
      start = end
    } while start < bytes.count
    return out
  }

  static func gzip(_ bytes: [UInt8]) -> [UInt8] {
    [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + storedDeflate(bytes)
      + littleEndian32(crc32(bytes)) + littleEndian32(UInt32(truncatingIfNeeded: bytes.count))
  }

  static func zlib(_ bytes: [UInt8]) -> [UInt8] {
    [0x78, 0x01] + storedDeflate(bytes) + bigEndian32(adler32(bytes))
  }

  /// A PNG from raw (unfiltered) sample rows; each row gets filter byte 0.
  static func png(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]])
    -> [UInt8]
  {
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      let body = Array(type.utf8) + data
      return bigEndian32(UInt32(data.count)) + body + bigEndian32(crc32(body))
    }
    let header =
      bigEndian32(UInt32(width)) + bigEndian32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
    let scanlines = rows.flatMap { [UInt8(0)] + $0 }
    return PNGCodec.signature + chunk("IHDR", header) + chunk("IDAT", zlib(scanlines))
      + chunk("IEND", [])
  }

  /// An IDX file: magic, big-endian dimensions, then `payload`.
  static func idx(magic: UInt32, dims: [UInt32], payload: [UInt8]) -> [UInt8] {
    bigEndian32(magic) + dims.flatMap(bigEndian32) + payload
  }

  static func bigEndian32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }

  static func littleEndian32(_ v: UInt32) -> [UInt8] { bigEndian32(v).reversed() }

  static func littleEndian16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
}
