import CDBNAudio

/// The class label written with each row of an audio feature file: its names (label value k is
/// `names[k]`) and the value of an utterance or phone segment.
struct AudioLabelling {
  let kind: AudioFeatureExtractor.Label
  let names: [String]
  private let index: [String: Int]

  /// Checks that `dataset` knows the label for every utterance (speakers for `.speaker`, TIMIT for
  /// `.gender` and `.phone`, a CSV corpus for `.label`) and that phones go with phone summaries.
  init(
    dataset: AudioDataset, kind: AudioFeatureExtractor.Label, summary: AudioFeatureExtractor.Summary
  )
    throws
  {
    self.kind = kind
    switch kind {
    case .speaker:
      guard dataset.items.allSatisfy({ $0.speaker != nil }) else {
        throw PipelineError(
          dataset.path, "does not give every utterance's speaker; pick another --label")
      }
      names = dataset.speakers
    case .gender:
      guard dataset.isTIMIT else {
        throw PipelineError(dataset.path, "gender labels come from TIMIT; this is a CSV corpus")
      }
      names = [TIMITUtterance.Gender.female.rawValue, TIMITUtterance.Gender.male.rawValue]
    case .phone:
      guard summary == .phones else {
        throw PipelineError(dataset.path, "--label phone goes with --summary phones")
      }
      names = TIMITPhones.classes
    case .label:
      guard !dataset.isTIMIT else {
        throw PipelineError(
          dataset.path, "TIMIT has no label column; use --label speaker, gender or phone")
      }
      names = dataset.labelNames
    }
    index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
  }

  /// The label value of `item` (of its phone segment labelled `phone`, for phone labels).
  func value(of item: AudioDataset.Item, phone: String?) throws -> Int {
    let name: String?
    switch kind {
    case .speaker: name = item.speaker
    case .gender: name = item.gender?.rawValue
    case .phone: name = phone.flatMap(TIMITPhones.fold)
    case .label: name = item.label
    }
    guard let name, let value = index[name] else {
      throw PipelineError(item.audioPath, "has no \(kind.rawValue) label")
    }
    return value
  }
}
