import CDBNDatasets
import Foundation

/// A TIMIT corpus on disk, in either layout:
///
/// - LDC: `TRAIN|TEST/DR1..DR8/<F|M>xxx0/SA1.WAV` with `.PHN .WRD .TXT` beside each file (upper- or
///   lower-case names, possibly under an extra `TIMIT/` or `data/` folder);
/// - NLTK's sample: `dr1-fvmh0/sa1.wav` with `spkrinfo.txt` at the top.
///
/// Utterances are listed in path order. `spkrinfo.txt` (at the top or in a `DOC` folder) gives each
/// speaker's details and, for the NLTK layout, the train/test subset.
public struct TIMITCorpus: Sendable {
  /// The standard selections of TIMIT experiments.
  public enum Selection: Sendable, Equatable {
    /// Every utterance.
    case all
    /// Training speakers (subset train).
    case train
    /// The complete test set: every test speaker (168 in the full corpus).
    case fullTest
    /// The 24-speaker core test set (`TIMITSpeakers.coreTest`).
    case coreTest
    /// The 50-speaker development set (`TIMITSpeakers.development`).
    case development
  }

  /// The folder given to `init`.
  public let root: String
  public let utterances: [TIMITUtterance]
  /// spkrinfo.txt's speakers by folder name ("MCPM0"); empty when the corpus has no such file.
  public let speakerInfo: [String: TIMITSpeakerInfo]

  /// Scans `root` (at most five folders deep) for TIMIT utterances.
  public init(root: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw DatasetError(.unreadable, path: root, "no such folder")
    }
    self.root = root
    var infoPath: String?
    var found: [TIMITUtterance] = []
    try Self.scan(root, depth: 0, parents: [], into: &found, infoPath: &infoPath)
    let info = try infoPath.map { try TIMITSpeakerInfo.read(path: $0) } ?? [:]
    speakerInfo = info
    utterances = found.map { u in
      var u = u
      u.speakerInfo = info[u.speaker]
      if u.subset == nil, let use = u.speakerInfo?.use {
        u.subset = use == "TST" ? .test : use == "TRN" ? .train : nil
      }
      return u
    }.sorted { $0.audioPath < $1.audioPath }
    if utterances.isEmpty {
      throw DatasetError(
        .badShape, path: root,
        "holds no TIMIT utterances (expected DR1/FCJF0/SA1.WAV or dr1-fcjf0/sa1.wav below it)")
    }
  }

  /// The utterances of `selection`; SA sentences are left out when `excludingSA` (as phone
  /// recognition and classification experiments do).
  public func utterances(_ selection: Selection, excludingSA: Bool = false) -> [TIMITUtterance] {
    let core = Set(TIMITSpeakers.coreTest)
    let dev = Set(TIMITSpeakers.development)
    return utterances.filter { u in
      if excludingSA && u.sentenceType == .sa { return false }
      switch selection {
      case .all: return true
      case .train: return u.subset == .train
      case .fullTest: return u.subset == .test
      case .coreTest: return core.contains(u.speaker)
      case .development: return dev.contains(u.speaker)
      }
    }
  }

  /// The speakers of the corpus, sorted.
  public var speakers: [String] { Array(Set(utterances.map(\.speaker))).sorted() }

  // MARK: - Scanning

  private static func scan(
    _ folder: String, depth: Int, parents: [String], into found: inout [TIMITUtterance],
    infoPath: inout String?
  ) throws {
    guard depth <= 5 else { return }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    } catch {
      throw DatasetError(.unreadable, path: folder, "cannot list the folder")
    }
    let byLowercase = Dictionary(
      names.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
    if infoPath == nil, let info = byLowercase["spkrinfo.txt"] {
      infoPath = folder + "/" + info
    }
    let folderName = (folder as NSString).lastPathComponent
    for name in names {
      let path = folder + "/" + name
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        continue
      }
      if isDirectory.boolValue {
        if name.hasPrefix(".") { continue }
        try scan(
          path, depth: depth + 1, parents: parents + [folderName], into: &found, infoPath: &infoPath
        )
        continue
      }
      let lower = name.lowercased()
      guard lower.hasSuffix(".wav") else { continue }
      let stem = String(lower.dropLast(4))
      guard let type = sentenceType(of: stem),
        let place = speakerPlace(folder: folderName, parents: parents)
      else { continue }
      func companion(_ ext: String) -> String? {
        byLowercase[stem + "." + ext].map { folder + "/" + $0 }
      }
      found.append(
        TIMITUtterance(
          audioPath: path, phonesPath: companion("phn"), wordsPath: companion("wrd"),
          textPath: companion("txt"), speaker: place.speaker,
          gender: place.speaker.hasPrefix("F") ? .female : .male,
          dialectRegion: place.dialectRegion, sentence: stem.uppercased(), sentenceType: type,
          subset: place.subset, speakerInfo: nil))
    }
  }

  /// SA1, SI836, SX116 (any case) → the sentence type; nil for other names.
  static func sentenceType(of stem: String) -> TIMITUtterance.SentenceType? {
    let s = stem.lowercased()
    guard s.count >= 3, s.dropFirst(2).allSatisfy(\.isNumber) else { return nil }
    return TIMITUtterance.SentenceType(rawValue: String(s.prefix(2)))
  }

  /// Speaker, dialect region and subset from the folder holding an audio file: `dr1-fvmh0` (NLTK) or
  /// `FVMH0` inside `DR1` inside `TRAIN|TEST` (LDC).
  static func speakerPlace(folder: String, parents: [String]) -> (
    speaker: String, dialectRegion: Int, subset: TIMITUtterance.Subset?
  )? {
    let lower = folder.lowercased()
    if lower.hasPrefix("dr"), lower.count >= 5, let dash = lower.firstIndex(of: "-") {
      guard let dr = Int(lower[lower.index(lower.startIndex, offsetBy: 2)..<dash]),
        (1...8).contains(dr)
      else { return nil }
      let speaker = String(lower[lower.index(after: dash)...]).uppercased()
      guard isSpeaker(speaker) else { return nil }
      return (speaker, dr, nil)
    }
    guard isSpeaker(folder.uppercased()), let drFolder = parents.last?.lowercased(),
      drFolder.hasPrefix("dr"), let dr = Int(drFolder.dropFirst(2)), (1...8).contains(dr)
    else { return nil }
    let subsetFolder = parents.dropLast().last?.lowercased()
    let subset: TIMITUtterance.Subset? =
      subsetFolder == "train" ? .train : subsetFolder == "test" ? .test : nil
    return (folder.uppercased(), dr, subset)
  }

  /// F or M, three letters, one digit ("FVMH0").
  static func isSpeaker(_ s: String) -> Bool {
    let c = Array(s)
    return c.count == 5 && (c[0] == "F" || c[0] == "M") && c[1...3].allSatisfy(\.isLetter)
      && c[4].isNumber
  }
}
