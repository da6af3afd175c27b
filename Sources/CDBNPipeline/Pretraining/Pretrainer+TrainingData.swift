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
      let examples = try PipelineError.naming(config.data.path) {
        try openExamples(
          path: config.data.path, grayscale: config.data.grayscale, sizing: config.data.sizing)
      }
      guard let patch = config.data.patch, let folder = examples as? ImageFolder else {
        return examples
      }
      return try picturesHolding(patch, of: folder)
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
          spectrogram: audio.spectrogram(), signalCount: used,
          signal: { i in
            if i > 0 {
              let perUtterance = Date().timeIntervalSince(started) / Double(i)
              reporter.status(
                "audio: PCA whitening, \(i)/\(used) utterances read, \(ProgressReporter.duration(perUtterance * Double(used - i))) left"
              )
            }
            return try dataset.signal(i)
          },
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

  /// `folder` without the pictures smaller than `patch` (Caltech-101's wide airplanes at 150
  /// pixels on the longer side, say), their number logged; an error when none is large enough.
  func picturesHolding(_ patch: [Int], of folder: ImageFolder) throws -> ImageFolder {
    let sizes = try PipelineError.naming(folder.root) {
      try (0..<folder.count).map { try folder.size(at: $0) }
    }
    let fits = sizes.map { $0.height >= patch[0] && $0.width >= patch[1] }
    if !fits.contains(false) { return folder }
    guard let kept = try folder.keeping({ fits[$0] }) else {
      let largest = sizes.max { min($0.width, $0.height) < min($1.width, $1.height) }!
      throw PipelineError(
        folder.root,
        "no picture holds the \(patch[0])×\(patch[1]) data.patch (the largest is \(largest.height)×\(largest.width) once sized): shorten data.patch"
      )
    }
    reporter.log(
      "pictures: left out \(folder.count - kept.count) of \(folder.count) smaller than the \(patch[0])×\(patch[1]) data.patch"
    )
    return kept
  }
}
