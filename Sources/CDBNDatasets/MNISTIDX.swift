import CDBNNumerics

/// Reader for MNIST's IDX files (raw or gzipped): `*-images-idx3-ubyte` and `*-labels-idx1-ubyte`.
///
/// An IDX file is a big-endian header (magic 0x0000_08nn, nn = number of dimensions, then one
/// UInt32 per dimension) followed by the unsigned bytes. The whole file is decompressed first and
/// the header checked against the bytes that really follow, so a header that lies (a truncated
/// download, 2^40 claimed items) is an error before any tensor is allocated.
public enum MNISTIDX {
  /// Magic number of an image file: unsigned bytes, 3 dimensions [N, rows, cols].
  public static let imagesMagic: UInt32 = 0x0000_0803
  /// Magic number of a label file: unsigned bytes, 1 dimension [N].
  public static let labelsMagic: UInt32 = 0x0000_0801

  /// The images of `path` as [N, 1, rows, cols] (28 x 28 for MNIST), scaled from 0...255 to [0, 1].
  ///
  /// - Parameter limit: read only the first `limit` images (all when nil or larger than N).
  public static func loadImages(path: String, limit: Int? = nil) throws -> Tensor {
    let data = try GzipFile.readAll(path: path)
    let (dims, offset) = try header(data, path: path, magic: imagesMagic, rank: 3)
    let n = try count(dims[0], limit: limit, path: path)
    let rows = dims[1]
    let cols = dims[2]
    guard rows > 0, cols > 0 else {
      throw DatasetError(.badHeader, path: path, "image size \(rows)x\(cols) is empty")
    }
    // A header may claim any size when it claims no images (then no bytes need follow).
    let (pixels, overflow) = rows.multipliedReportingOverflow(by: cols)
    guard !overflow, pixels <= DecodedImage.maxPixels else {
      throw DatasetError(
        .tooLarge, path: path,
        "image size \(rows)x\(cols) exceeds the limit of \(DecodedImage.maxPixels) pixels")
    }
    let used = n * rows * cols
    var scalars = [Float](repeating: 0, count: used)
    data.withUnsafeBufferPointer { bytes in
      scalars.withUnsafeMutableBufferPointer { out in
        for i in 0..<used { out[i] = Float(bytes[offset + i]) / 255 }
      }
    }
    return Tensor(shape: [n, 1, rows, cols], scalars: scalars)
  }

  /// The labels of `path`, one Int per example (0...9 for MNIST).
  ///
  /// - Parameter limit: read only the first `limit` labels (all when nil or larger than N).
  public static func loadLabels(path: String, limit: Int? = nil) throws -> [Int] {
    let data = try GzipFile.readAll(path: path)
    let (dims, offset) = try header(data, path: path, magic: labelsMagic, rank: 1)
    let n = try count(dims[0], limit: limit, path: path)
    return data[offset..<(offset + n)].map { Int($0) }
  }

  /// Images and labels loaded together; their counts must agree.
  public static func load(imagesPath: String, labelsPath: String, limit: Int? = nil) throws
    -> InMemoryExamples
  {
    let images = try loadImages(path: imagesPath, limit: limit)
    let labels = try loadLabels(path: labelsPath, limit: limit)
    guard labels.count == images.shape[0] else {
      throw DatasetError(
        .badShape, path: imagesPath,
        "holds \(images.shape[0]) images but \(labelsPath) holds \(labels.count) labels")
    }
    return try InMemoryExamples(
      images, labels: labels, labelNames: LabelNames.digits(covering: labels), name: imagesPath)
  }

  /// The magic number at the start of `prefix`, if it looks like an IDX header (00 00 type rank).
  static func magic(of prefix: [UInt8]) -> UInt32? {
    guard prefix.count >= 4, prefix[0] == 0, prefix[1] == 0 else { return nil }
    return bigEndian(prefix, at: 0)
  }

  /// Checks magic, rank and that the dimensions account for every byte after the header.
  /// Returns the dimensions and the offset of the first data byte.
  private static func header(_ data: [UInt8], path: String, magic expected: UInt32, rank: Int)
    throws -> (dims: [Int], offset: Int)
  {
    if data.isEmpty {
      throw DatasetError(.truncated, path: path, "file is empty")
    }
    guard data.count >= 4 else {
      throw DatasetError(
        .truncated, path: path, "file of \(data.count) bytes is too short for an IDX header")
    }
    let found = bigEndian(data, at: 0)
    guard found == expected else {
      let what = expected == imagesMagic ? "IDX image file" : "IDX label file"
      throw DatasetError(
        .badMagic, path: path,
        "magic number 0x\(hex(found)) is not that of an \(what) (0x\(hex(expected)))")
    }
    let offset = 4 + 4 * rank
    guard data.count >= offset else {
      throw DatasetError(.truncated, path: path, "IDX header is cut short (\(data.count) bytes)")
    }
    let dims = (0..<rank).map { Int(bigEndian(data, at: 4 + 4 * $0)) }
    // Overflow-checked: 2^32-1 per dimension can exceed Int when multiplied.
    var expectedBytes = 1
    for d in dims {
      let (product, overflow) = expectedBytes.multipliedReportingOverflow(by: d)
      expectedBytes = overflow ? Int.max : product
    }
    let payload = data.count - offset
    if expectedBytes > payload {
      throw DatasetError(
        .truncated, path: path,
        "header claims dimensions \(dims) (\(expectedBytes == Int.max ? "overflowing" : String(expectedBytes)) bytes) but only \(payload) bytes of data follow"
      )
    }
    if expectedBytes < payload {
      throw DatasetError(
        .badHeader, path: path,
        "header claims dimensions \(dims) (\(expectedBytes) bytes) but \(payload) bytes of data follow"
      )
    }
    return (dims, offset)
  }

  private static func count(_ n: Int, limit: Int?, path: String) throws -> Int {
    guard let limit else { return n }
    guard limit >= 0 else {
      throw DatasetError(.invalidArgument, path: path, "limit \(limit) is negative")
    }
    return min(n, limit)
  }

  private static func bigEndian(_ bytes: [UInt8], at i: Int) -> UInt32 {
    UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8
      | UInt32(bytes[i + 3])
  }

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }
}
