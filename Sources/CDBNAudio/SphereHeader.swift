import CDBNDatasets

/// The text header of a NIST SPHERE file (TIMIT's audio format).
///
/// A SPHERE file starts with `NIST_1A`, a line giving the header size in bytes (1024 for TIMIT),
/// then one `name -type value` field per line (`-i` integer, `-r` real, `-sN` string of N
/// characters) up to `end_head`; the samples follow the header.
public struct SphereHeader: Sendable, Equatable {
  /// Size of the header in bytes; the samples start here.
  public var headerSize: Int
  /// Every field as written, by name.
  public var fields: [String: String]

  /// The magic text a SPHERE file starts with.
  public static let magic = "NIST_1A"

  public var sampleCount: Int? { fields["sample_count"].flatMap { Int($0) } }
  public var sampleRate: Int? { fields["sample_rate"].flatMap { Int($0) } }
  /// Bytes per sample; 2 when the header does not say.
  public var bytesPerSample: Int { fields["sample_n_bytes"].flatMap { Int($0) } ?? 2 }
  /// Channels; 1 when the header does not say.
  public var channelCount: Int { fields["channel_count"].flatMap { Int($0) } ?? 1 }
  /// "pcm" when the header does not say; "pcm,embedded-shorten-v2.00" for shorten-compressed files.
  public var sampleCoding: String { fields["sample_coding"] ?? "pcm" }
  /// "01" little-endian, "10" big-endian, "1" for one byte per sample.
  public var byteFormat: String? { fields["sample_byte_format"] }

  /// Whether `prefix` (the first bytes of a file) starts like a SPHERE header.
  public static func looksLikeSphere(_ prefix: [UInt8]) -> Bool {
    prefix.count >= 7 && prefix[0..<7].elementsEqual(magic.utf8)
  }

  /// Parses the header at the start of `bytes` (at least the whole header); `path` names the file
  /// in errors.
  public init(parsing bytes: [UInt8], path: String) throws {
    guard Self.looksLikeSphere(bytes) else {
      throw DatasetError(.badMagic, path: path, "does not start with NIST_1A")
    }
    // Line 2: the header size.
    let firstLines = bytes.prefix(64).split(
      separator: 10, maxSplits: 2, omittingEmptySubsequences: false)
    guard firstLines.count >= 2,
      let size = Int(String(decoding: firstLines[1], as: UTF8.self).trimmingSpaces),
      size >= 16, size <= 1 << 20
    else {
      throw DatasetError(.badHeader, path: path, "SPHERE header size line is missing or invalid")
    }
    guard bytes.count >= size else {
      throw DatasetError(
        .truncated, path: path,
        "file of \(bytes.count) bytes ends inside its \(size)-byte SPHERE header")
    }
    headerSize = size
    fields = [:]
    let text = String(decoding: bytes[0..<size], as: UTF8.self)
    var ended = false
    for line in text.split(separator: "\n").dropFirst(2) {
      let trimmed = String(line).trimmingSpaces
      if trimmed == "end_head" {
        ended = true
        break
      }
      if trimmed.isEmpty || trimmed.hasPrefix(";") { continue }
      let parts = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
      guard parts.count == 3, parts[1].hasPrefix("-") else {
        throw DatasetError(
          .badHeader, path: path, "SPHERE header field \"\(trimmed)\" is malformed")
      }
      fields[String(parts[0])] = String(parts[2])
    }
    guard ended else {
      throw DatasetError(.badHeader, path: path, "SPHERE header has no end_head line")
    }
  }

  /// Checks the fields against themselves and against `fileSize`: a known sample coding, a sample
  /// count, and sample_count × sample_n_bytes × channel_count bytes after the header, no more and no
  /// fewer. A header that lies is reported before anything is allocated from it.
  public func validate(fileSize: Int, path: String) throws {
    let coding = sampleCoding.lowercased()
    if coding.contains("shorten") || coding.contains("wavpack") || coding.contains("shortpack") {
      throw DatasetError(
        .unsupportedFormat, path: path,
        "SPHERE samples are compressed (sample_coding \(sampleCoding)); decompress them first, e.g. with sph2pipe"
      )
    }
    guard coding.hasPrefix("pcm") || coding.hasPrefix("ulaw") || coding.hasPrefix("alaw") else {
      throw DatasetError(
        .unsupportedFormat, path: path, "SPHERE sample_coding \(sampleCoding) is not supported")
    }
    guard let count = sampleCount, count >= 0 else {
      throw DatasetError(.badHeader, path: path, "SPHERE header has no valid sample_count")
    }
    guard (1...4).contains(bytesPerSample), (1...64).contains(channelCount) else {
      throw DatasetError(
        .badHeader, path: path,
        "SPHERE header gives sample_n_bytes \(bytesPerSample) and channel_count \(channelCount)")
    }
    if let rate = fields["sample_rate"] {
      guard let r = Int(rate), r > 0 else {
        throw DatasetError(
          .badHeader, path: path, "SPHERE sample_rate \(rate) is not a positive integer")
      }
    }
    let payload = fileSize - headerSize
    let (perFrame, _) = bytesPerSample.multipliedReportingOverflow(by: channelCount)
    let (claimed, overflow) = count.multipliedReportingOverflow(by: perFrame)
    if overflow || claimed > payload {
      throw DatasetError(
        .truncated, path: path,
        "SPHERE header claims \(count) samples (\(overflow ? "overflowing" : String(claimed)) bytes) but only \(payload) bytes of data follow"
      )
    }
    if claimed < payload {
      throw DatasetError(
        .badHeader, path: path,
        "SPHERE header claims \(count) samples (\(claimed) bytes) but \(payload) bytes of data follow"
      )
    }
    if count == 0 {
      throw DatasetError(.truncated, path: path, "holds no audio samples (sample_count 0)")
    }
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
    return String(s)
  }
}
