import CDBNDatasets
import Foundation

/// A folder of audio files (WAV, FLAC, SPHERE, ...) listed in a CSV file of `path,label[,speaker]`
/// lines, paths relative to the CSV's folder. A first line `path,label[,speaker]` is a header and
/// skipped; blank lines and lines starting with `#` are ignored. Fields are plain (no quoting).
///
/// Every listed file must exist when the corpus is opened; errors name the CSV and the line.
/// Signals are read one at a time and converted to `sampleRate`.
public struct AudioCorpus: Sendable {
  public struct Item: Sendable, Equatable {
    /// Absolute (or CSV-relative-resolved) path of the audio file.
    public var path: String
    /// The path as written in the CSV.
    public var relativePath: String
    public var label: String
    public var speaker: String?
  }

  public let csvPath: String
  public let sampleRate: Int
  public let items: [Item]
  /// The distinct labels, sorted; a label's class index is its position here.
  public let classNames: [String]

  public init(csvPath: String, sampleRate: Int = 16000) throws {
    guard sampleRate > 0 else {
      throw DatasetError(
        .invalidArgument, path: csvPath, "sample rate \(sampleRate) is not positive")
    }
    guard FileManager.default.fileExists(atPath: csvPath),
      let data = FileManager.default.contents(atPath: csvPath)
    else {
      throw DatasetError(.unreadable, path: csvPath, "no such file")
    }
    let folder = (csvPath as NSString).deletingLastPathComponent
    var items: [Item] = []
    for (index, raw) in String(decoding: data, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false
    ).enumerated() {
      let number = index + 1
      let line = String(raw).trimmingSpaces
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        String($0).trimmingSpaces
      }
      if items.isEmpty && number == 1 && fields.first?.lowercased() == "path" && fields.count >= 2
        && fields[1].lowercased() == "label"
      {
        continue
      }
      guard fields.count == 2 || fields.count == 3 else {
        throw DatasetError(
          .badShape, path: csvPath,
          "line \(number): expected path,label[,speaker], got \(fields.count) fields")
      }
      guard !fields[0].isEmpty, !fields[1].isEmpty else {
        throw DatasetError(.badValue, path: csvPath, "line \(number): empty path or label")
      }
      if line.contains("\"") {
        throw DatasetError(
          .badValue, path: csvPath, "line \(number): quoted fields are not supported")
      }
      // A CSV named without a folder ("list.csv") lies in the current folder.
      let full =
        fields[0].hasPrefix("/") || folder.isEmpty ? fields[0] : folder + "/" + fields[0]
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory),
        !isDirectory.boolValue
      else {
        throw DatasetError(
          .unreadable, path: csvPath, "line \(number): audio file \(fields[0]) does not exist")
      }
      items.append(
        Item(
          path: full, relativePath: fields[0], label: fields[1],
          speaker: fields.count == 3 && !fields[2].isEmpty ? fields[2] : nil))
    }
    guard !items.isEmpty else {
      throw DatasetError(.truncated, path: csvPath, "lists no audio files")
    }
    self.csvPath = csvPath
    self.sampleRate = sampleRate
    self.items = items
    self.classNames = Array(Set(items.map(\.label))).sorted()
  }

  public var count: Int { items.count }

  /// Class index of every item (its label's position in `classNames`).
  public var labels: [Int] {
    let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
    return items.map { index[$0.label]! }
  }

  /// Item `i`'s audio, mono, at `sampleRate`.
  public func signal(_ i: Int, quality: Resampler.Quality = .medium) throws -> AudioSignal {
    guard items.indices.contains(i) else {
      throw DatasetError(.invalidArgument, path: csvPath, "item \(i) is outside 0..<\(count)")
    }
    return try AudioFile.read(path: items[i].path, sampleRate: sampleRate, quality: quality)
  }
}
