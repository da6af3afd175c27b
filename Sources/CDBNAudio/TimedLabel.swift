import CDBNDatasets
import Foundation

/// One labelled stretch of a signal, in samples: [start, end). A line of a TIMIT `.phn` or `.wrd` file.
public struct TimedLabel: Sendable, Equatable {
  public var start: Int
  public var end: Int
  public var label: String

  public init(start: Int, end: Int, label: String) {
    self.start = start
    self.end = end
    self.label = label
  }

  /// Length in samples.
  public var length: Int { end - start }

  /// Reads a TIMIT transcription (`start end label` per line, sample numbers) and checks it:
  /// numbers are integers, start < end, end ≤ `sampleCount` (when given), and segments are in order.
  /// Phone files (`overlapping: false`) must not overlap; word files may (`overlapping: true`: TIMIT's
  /// `.wrd` files share boundary phones between words, e.g. "your" in SA1), but their starts must not
  /// go backwards. Errors name the file and the line.
  public static func read(path: String, sampleCount: Int? = nil, overlapping: Bool = false) throws
    -> [TimedLabel]
  {
    guard FileManager.default.fileExists(atPath: path) else {
      throw DatasetError(.unreadable, path: path, "no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DatasetError(.unreadable, path: path, "cannot be read")
    }
    return try parse(
      String(decoding: data, as: UTF8.self), path: path, sampleCount: sampleCount,
      overlapping: overlapping)
  }

  /// `read` on text already in memory; `path` names it in errors.
  public static func parse(
    _ text: String, path: String, sampleCount: Int? = nil, overlapping: Bool = false
  ) throws -> [TimedLabel] {
    var segments: [TimedLabel] = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let line = String(rawLine).trimmingSpaces
      if line.isEmpty { continue }
      let number = index + 1
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 3 else {
        throw DatasetError(
          .badValue, path: path, "line \(number): expected \"start end label\", got \"\(line)\"")
      }
      guard let start = Int(fields[0]), let end = Int(fields[1]) else {
        throw DatasetError(
          .badValue, path: path, "line \(number): start and end must be integers (\"\(line)\")")
      }
      guard start >= 0, start < end else {
        throw DatasetError(
          .badValue, path: path, "line \(number): segment [\(start), \(end)) is empty or negative")
      }
      if let sampleCount, end > sampleCount {
        throw DatasetError(
          .badValue, path: path,
          "line \(number): segment ends at sample \(end), past the end of the \(sampleCount)-sample signal"
        )
      }
      if let previous = segments.last {
        if overlapping {
          guard start >= previous.start else {
            throw DatasetError(
              .badValue, path: path,
              "line \(number): segment starts at \(start), before the previous one (\(previous.start))"
            )
          }
        } else {
          guard start >= previous.end else {
            throw DatasetError(
              .badValue, path: path,
              "line \(number): segment [\(start), \(end)) overlaps or precedes the previous one [\(previous.start), \(previous.end))"
            )
          }
        }
      }
      segments.append(
        TimedLabel(start: start, end: end, label: fields[2...].joined(separator: " ")))
    }
    if segments.isEmpty {
      throw DatasetError(.truncated, path: path, "holds no segments")
    }
    return segments
  }
}
