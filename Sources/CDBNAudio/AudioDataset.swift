import CDBNDatasets
import Foundation

/// The utterances of an audio corpus that a run uses: a TIMIT folder (either layout) or a CSV corpus
/// (`path,label[,speaker]`, see `AudioCorpus`), narrowed by a `Selection`. One list for pretraining
/// and feature extraction, whichever corpus it comes from.
public struct AudioDataset: Sendable {
  /// One utterance and what is known about it.
  public struct Item: Sendable, Equatable {
    /// TIMIT: "DR1/FVMH0/SI836"; CSV: the path as written in the CSV.
    public var id: String
    public var audioPath: String
    public var speaker: String?
    /// TIMIT only.
    public var gender: TIMITUtterance.Gender?
    /// The CSV's label (CSV corpora only).
    public var label: String?
    /// The TIMIT utterance, for its phone transcription.
    public var utterance: TIMITUtterance?
  }

  /// Which utterances to keep.
  public struct Selection: Sendable, Equatable {
    /// TIMIT's standard selections (`.all` for a CSV corpus).
    public var subset: TIMITCorpus.Selection = .all
    /// Keep only these speakers (TIMIT folder names such as "FVMH0", or the CSV's speaker column).
    public var speakers: [String]?
    /// Leave out TIMIT's SA sentences.
    public var excludingSA = false

    public init(
      subset: TIMITCorpus.Selection = .all, speakers: [String]? = nil, excludingSA: Bool = false
    ) {
      self.subset = subset
      self.speakers = speakers
      self.excludingSA = excludingSA
    }

    /// The names `subset` is written with in configs and on the command line.
    public static let subsetNames: [String: TIMITCorpus.Selection] = [
      "all": .all, "train": .train, "test": .fullTest, "core-test": .coreTest,
      "development": .development,
    ]
  }

  /// The folder or CSV file given.
  public let path: String
  /// Signals are delivered at this rate.
  public let sampleRate: Int
  public let items: [Item]
  /// Whether the corpus is TIMIT (phones, gender) rather than a CSV corpus.
  public let isTIMIT: Bool
  /// The CSV's labels, sorted (empty for TIMIT).
  public let labelNames: [String]

  /// The same corpus with only the items `keep` chooses (in order); nil when none is kept.
  public func keeping(_ keep: (Int) -> Bool) -> AudioDataset? {
    let kept = items.indices.filter(keep).map { items[$0] }
    guard !kept.isEmpty else { return nil }
    return AudioDataset(
      path: path, sampleRate: sampleRate, items: kept, isTIMIT: isTIMIT, labelNames: labelNames)
  }

  private init(
    path: String, sampleRate: Int, items: [Item], isTIMIT: Bool, labelNames: [String]
  ) {
    self.path = path
    self.sampleRate = sampleRate
    self.items = items
    self.isTIMIT = isTIMIT
    self.labelNames = labelNames
  }

  /// Opens `path` (a TIMIT folder, or a `.csv` file) and keeps the utterances of `selection`;
  /// a selection that keeps nothing, or names a speaker the corpus does not have, is an error.
  public init(path: String, selection: Selection = Selection(), sampleRate: Int = 16000) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DatasetError(.unreadable, path: path, "no such file or folder")
    }
    self.path = path
    self.sampleRate = sampleRate
    var all: [Item]
    if isDirectory.boolValue {
      let corpus = try TIMITCorpus(root: path)
      all = corpus.utterances(selection.subset, excludingSA: selection.excludingSA).map {
        Item(
          id: $0.id, audioPath: $0.audioPath, speaker: $0.speaker, gender: $0.gender, label: nil,
          utterance: $0)
      }
      isTIMIT = true
      labelNames = []
    } else {
      guard path.lowercased().hasSuffix(".csv") else {
        throw DatasetError(
          .unsupportedFormat, path: path,
          "audio data must be a TIMIT folder or a .csv list of path,label[,speaker]")
      }
      guard selection.subset == .all, !selection.excludingSA else {
        throw DatasetError(
          .invalidArgument, path: path,
          "TIMIT subsets and SA exclusion apply to a TIMIT folder, not to a CSV corpus")
      }
      let corpus = try AudioCorpus(csvPath: path, sampleRate: sampleRate)
      all = corpus.items.map {
        Item(
          id: $0.relativePath, audioPath: $0.path, speaker: $0.speaker, gender: nil,
          label: $0.label, utterance: nil)
      }
      isTIMIT = false
      labelNames = corpus.classNames
    }
    if let wanted = selection.speakers {
      let timit = isDirectory.boolValue
      let keep = Set(wanted.map { timit ? $0.uppercased() : $0 })
      let present = Set(all.compactMap(\.speaker))
      let missing = keep.subtracting(present).sorted()
      guard missing.isEmpty else {
        throw DatasetError(
          .invalidArgument, path: path,
          "has no utterances of speaker(s) \(missing.joined(separator: ", ")) in the selection")
      }
      all = all.filter { $0.speaker.map(keep.contains) ?? false }
    }
    guard !all.isEmpty else {
      throw DatasetError(.invalidArgument, path: path, "the selection keeps no utterances")
    }
    items = all
  }

  public var count: Int { items.count }

  /// Distinct speakers of the selection, sorted (empty when the corpus does not say).
  public var speakers: [String] { Array(Set(items.compactMap(\.speaker))).sorted() }

  /// Item `i`'s audio, mono, at `sampleRate`.
  public func signal(_ i: Int) throws -> AudioSignal {
    try AudioFile.read(path: items[i].audioPath, sampleRate: sampleRate)
  }

  /// Number of samples of item `i` at `sampleRate`, from the header when no resampling is needed.
  public func sampleCount(_ i: Int) throws -> Int {
    try AudioFile.sampleCount(path: items[i].audioPath, sampleRate: sampleRate)
  }

  /// The files that are not at `sampleRate` and so are resampled when read: their count and their
  /// distinct native rates (from the headers, nothing decoded).
  public func resampledFiles() throws -> (count: Int, rates: [Int]) {
    var count = 0
    var rates = Set<Int>()
    for item in items {
      let rate = try AudioFile.headerInfo(path: item.audioPath).sampleRate
      if rate != sampleRate {
        count += 1
        rates.insert(rate)
      }
    }
    return (count, rates.sorted())
  }

  /// Said once per run when files are resampled, so a user knows their audio was converted.
  public func resamplingNote() throws -> String? {
    let (count, rates) = try resampledFiles()
    guard count > 0 else { return nil }
    return
      "audio: \(count) of \(items.count) file(s) are at \(rates.map { "\($0)" }.joined(separator: ", ")) Hz and are resampled to \(sampleRate) Hz (libsamplerate)"
  }

  /// Item `i`'s checked phone segments, in samples at `sampleRate` (TIMIT only).
  public func phones(_ i: Int) throws -> [TimedLabel] {
    guard let utterance = items[i].utterance else {
      throw DatasetError(
        .invalidArgument, path: items[i].audioPath, "has no phone transcription (not TIMIT)")
    }
    let segments = try utterance.phones()
    let native = try AudioFile.headerInfo(path: utterance.audioPath).sampleRate
    guard native != sampleRate else { return segments }
    // Resampled audio: the boundaries scale with the rate.
    let scale = Double(sampleRate) / Double(native)
    return segments.map {
      TimedLabel(
        start: Int((Double($0.start) * scale).rounded()),
        end: Int((Double($0.end) * scale).rounded()), label: $0.label)
    }
  }
}
