import CDBNDatasets
import Foundation

/// One speaker's line of TIMIT's `spkrinfo.txt`.
public struct TIMITSpeakerInfo: Sendable, Equatable {
  /// The speaker as in spkrinfo.txt, without the gender letter ("CPM0").
  public var id: String
  /// "M" or "F".
  public var sex: String
  public var dialectRegion: Int
  /// "TRN" (training speaker) or "TST" (test speaker).
  public var use: String
  public var recordingDate: String
  public var birthDate: String
  public var height: String
  public var race: String
  public var education: String
  public var comments: String

  /// The speaker folder name: sex letter + id ("MCPM0").
  public var speaker: String { sex + id }

  /// The speakers of a `spkrinfo.txt` file, by folder name ("MCPM0"). Lines starting with ';' are
  /// comments; a line with fewer than the nine fixed columns is an error naming the line.
  public static func read(path: String) throws -> [String: TIMITSpeakerInfo] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DatasetError(.unreadable, path: path, "cannot be read")
    }
    var speakers: [String: TIMITSpeakerInfo] = [:]
    for (index, raw) in String(decoding: data, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false
    ).enumerated() {
      let line = String(raw).trimmingSpaces
      if line.isEmpty || line.hasPrefix(";") { continue }
      let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      guard f.count >= 9, let dr = Int(f[2]), f[1] == "M" || f[1] == "F" else {
        throw DatasetError(
          .badValue, path: path,
          "line \(index + 1): expected ID Sex DR Use RecDate BirthDate Ht Race Edu, got \"\(line)\""
        )
      }
      let info = TIMITSpeakerInfo(
        id: f[0].uppercased(), sex: f[1], dialectRegion: dr, use: f[3].uppercased(),
        recordingDate: f[4], birthDate: f[5], height: f[6], race: f[7], education: f[8],
        comments: f.dropFirst(9).joined(separator: " "))
      speakers[info.speaker] = info
    }
    return speakers
  }
}
