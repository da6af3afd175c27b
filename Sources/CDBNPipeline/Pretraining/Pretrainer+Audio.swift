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
        try openExamples(
          path: config.data.path, grayscale: config.data.grayscale, sizing: config.data.sizing)
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
      checkpoint.model.frontEnd = frontEnd
      reporter.log(
        "audio: PCA whitening (\(audio.components) components) fitted on \(used) utterance(s) of \(dataset.speakers.count) speaker(s) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
      )
    }
    var examples = try PipelineError.naming(audio.path) {
      try AudioExamples(dataset: dataset, features: frontEnd)
    }
    if let patch = config.data.patch, examples.shortest.frames < patch[1] {
      // Crops need patch[1] frames: shorter utterances (single words, say) are left out.
      let frames = examples.frameCounts
      let hop = Double(frontEnd.spectrogram.hopLength) / Double(frontEnd.spectrogram.sampleRate)
      let needs = String(
        format: "%d frames (about %.2f s of audio at a %.0f ms hop)", patch[1],
        Double(patch[1]) * hop, 1000 * hop)
      guard let long = dataset.keeping({ frames[$0] >= patch[1] }) else {
        throw PipelineError(
          audio.path,
          "no utterance has the \(needs) that data.patch [1, \(patch[1])] needs; the longest has \(frames.max() ?? 0) frames: shorten data.patch"
        )
      }
      reporter.log(
        "audio: left out \(dataset.count - long.count) of \(dataset.count) utterance(s) shorter than the \(needs) data.patch needs"
      )
      examples = try PipelineError.naming(audio.path) {
        try AudioExamples(dataset: long, features: frontEnd)
      }
    }
    return examples
  }
}
