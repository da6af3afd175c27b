import CDBNAudio
import CDBNDatasets
import Foundation

extension Pretrainer {
  /// The examples to train on: pictures as `openExamples` reads them, or, for an audio config, the
  /// selected utterances' whitened spectrograms. The whitening is fitted here on those utterances
  /// only (the first `data.limit` of them) and stored in the checkpoint; a resumed run reuses the
  /// stored one.
  func openTrainingData(checkpoint: inout ModelCheckpoint) throws -> any ExampleSource {
    guard let audio = config.audio else {
      return try PipelineError.naming(config.data.path) {
        try openExamples(path: config.data.path, grayscale: config.data.grayscale)
      }
    }
    let dataset = try PipelineError.naming(audio.path) { try audio.dataset() }
    if let note = try PipelineError.naming(audio.path, { try dataset.resamplingNote() }) {
      reporter.log(note)
    }
    let used = min(dataset.count, config.data.limit ?? dataset.count)
    let frontEnd: AudioFeatures
    if let stored = checkpoint.audioFrontEnd {
      frontEnd = stored
    } else {
      guard checkpoint.model.layers.isEmpty else {
        throw PipelineError(output, "has layers but no audio front end in /preprocessing")
      }
      let started = Date()
      frontEnd = try PipelineError.naming(audio.path) {
        try AudioFeatures.fit(
          spectrogram: audio.spectrogram(), signalCount: used, signal: { try dataset.signal($0) },
          components: audio.components, epsilon: audio.whiteningEpsilon,
          maxFrames: audio.fitFrames)
      }
      checkpoint.audioFrontEnd = frontEnd
      reporter.log(
        "audio: PCA whitening (\(audio.components) components) fitted on \(used) utterance(s) of \(dataset.speakers.count) speaker(s) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
      )
    }
    let examples = try PipelineError.naming(audio.path) {
      try AudioExamples(dataset: dataset, features: frontEnd)
    }
    if let patch = config.data.patch {
      let shortest = examples.shortest
      if patch[1] > shortest.frames {
        throw PipelineError(
          audio.path,
          "utterance \(shortest.id) has \(shortest.frames) frames, fewer than the patch's \(patch[1]); shorten data.patch"
        )
      }
    }
    return examples
  }
}
