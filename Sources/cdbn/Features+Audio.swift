import ArgumentParser
import CDBNAudio
import CDBNNumerics
import CDBNPipeline
import Foundation

extension Features {
  /// `features` with a model pretrained on audio.
  func runAudio(
    _ checkpoint: ModelCheckpoint, frontEnd: AudioFeatures,
    representations: [FeatureRepresentation], world: any ProcessGroup
  ) throws {
    guard !flatten, !color else {
      throw ValidationError("--flatten and --color apply to pictures, not to audio")
    }
    var extractor = try AudioFeatureExtractor(
      modelPath: model, checkpoint: checkpoint, representations: representations)
    if let summary {
      guard let s = AudioFeatureExtractor.Summary(rawValue: summary) else {
        throw ValidationError("--summary must be frames, utterance or phones, got \"\(summary)\"")
      }
      extractor.summary = s
    } else {
      extractor.summary = .frames
    }
    if let label {
      guard let l = AudioFeatureExtractor.Label(rawValue: label) else {
        throw ValidationError(
          "--label must be speaker, gender, phone or label, got \"\(label)\"")
      }
      extractor.label = l
    }
    var selection = AudioDataset.Selection(excludingSA: excludeSa)
    if let subset {
      guard let s = AudioDataset.Selection.subsetNames[subset] else {
        throw ValidationError(
          "--subset must be one of \(AudioDataset.Selection.subsetNames.keys.sorted().joined(separator: ", ")), got \"\(subset)\""
        )
      }
      selection.subset = s
    }
    if let speakers {
      selection.speakers = speakers.split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
      }
    }
    extractor.processes = world
    let reporter = ProgressReporter(quiet: !world.isLeader)
    let (rows, columns) = try extractor.run(
      dataPath: data, selection: selection, outputPath: out, reporter: reporter)
    reporter.log(
      "wrote \(out): \(extractor.summary.rawValue) features of \(layer), \(rows) rows × \(columns)")
  }
}
