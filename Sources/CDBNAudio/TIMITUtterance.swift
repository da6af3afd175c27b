import CDBNDatasets
import Foundation

/// One recorded sentence of TIMIT and the files that go with it.
public struct TIMITUtterance: Sendable, Equatable {
  /// TIMIT's three kinds of sentence: SA (dialect, read by every speaker; excluded from phone
  /// recognition experiments), SX (phonetically compact), SI (phonetically diverse).
  public enum SentenceType: String, Sendable, Equatable, CaseIterable { case sa, sx, si }
  public enum Gender: String, Sendable, Equatable { case female, male }
  /// The LDC corpus's TRAIN and TEST folders (or spkrinfo.txt's TRN/TST).
  public enum Subset: String, Sendable, Equatable { case train, test }

  /// The audio file (NIST SPHERE in the LDC corpus).
  public var audioPath: String
  /// The `.phn`, `.wrd` and `.txt` files beside it, when present.
  public var phonesPath: String?
  public var wordsPath: String?
  public var textPath: String?
  /// Speaker folder name, upper case ("FVMH0").
  public var speaker: String
  public var gender: Gender
  /// 1...8.
  public var dialectRegion: Int
  /// Sentence id, upper case ("SA1", "SI836", "SX116").
  public var sentence: String
  public var sentenceType: SentenceType
  /// From the folder layout (LDC) or the speaker's spkrinfo.txt line; nil when neither says.
  public var subset: Subset?
  /// The speaker's spkrinfo.txt line, when the corpus has that file.
  public var speakerInfo: TIMITSpeakerInfo?

  /// "DR1/FVMH0/SI836": unique within the corpus.
  public var id: String { "DR\(dialectRegion)/\(speaker)/\(sentence)" }

  /// The audio as mono Float samples (16 kHz for TIMIT).
  public func signal() throws -> AudioSignal { try AudioFile.read(path: audioPath) }

  /// The phone segments, checked against the signal's length (from the SPHERE header when there is
  /// one, else by decoding the audio).
  public func phones() throws -> [TimedLabel] {
    guard let phonesPath else {
      throw DatasetError(.unreadable, path: audioPath, "has no .phn file beside it")
    }
    return try TimedLabel.read(path: phonesPath, sampleCount: try sampleCount())
  }

  /// The word segments (which may overlap at shared boundary phones), checked like `phones()`.
  public func words() throws -> [TimedLabel] {
    guard let wordsPath else {
      throw DatasetError(.unreadable, path: audioPath, "has no .wrd file beside it")
    }
    return try TimedLabel.read(path: wordsPath, sampleCount: try sampleCount(), overlapping: true)
  }

  /// The orthographic transcription: the `.txt` file without its leading sample numbers.
  public func text() throws -> String {
    guard let textPath, let data = FileManager.default.contents(atPath: textPath) else {
      throw DatasetError(.unreadable, path: textPath ?? audioPath, "has no readable .txt file")
    }
    let line = String(decoding: data, as: UTF8.self).trimmingSpaces
    let parts = line.split(separator: " ", maxSplits: 2)
    guard parts.count == 3, Int(parts[0]) != nil, Int(parts[1]) != nil else {
      throw DatasetError(.badValue, path: textPath, "line 1: expected \"start end text\"")
    }
    return String(parts[2]).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Number of samples in the audio file.
  public func sampleCount() throws -> Int {
    if let header = try AudioFile.sphereHeader(path: audioPath), let n = header.sampleCount {
      return n
    }
    return try signal().samples.count
  }
}
