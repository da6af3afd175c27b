import CDBNAudio
import CDBNModels
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// The embedded TIMIT sample.
let timitSample = packageRoot().appendingPathComponent("Data/timit-sample").path

/// A tiny two-layer 1-D CDBN config on two speakers of the TIMIT sample (the first six
/// utterances): 12 PCA components, crops of 40 frames.
func tinyAudioConfigText(epochs1: Int = 2, epochs2: Int = 2) -> String {
  """
  seed: 5
  data:
    audio: \(timitSample)
    speakers: [FALK0, MCPM0]
    patch: [1, 40]
    limit: 6
  preprocessing:
    spectrogram: {window_ms: 20, hop_ms: 10}
    pca: {components: 12, epsilon: 0.05}
  training: {batch_size: 4, batches_per_epoch: 2}
  layers:
    - {kind: crbm, visible: gaussian, filters: 6, filter: [1, 4], pooling: [1, 2], sigma: 1,
       learning_rate: 0.01, sparsity_target: 0.05, epochs: \(epochs1)}
    - {kind: crbm, visible: binary, filters: 5, filter: [1, 3], pooling: [1, 2],
       learning_rate: 0.01, sparsity_target: 0.05, persistent: true, epochs: \(epochs2)}
  """
}

@Suite struct AudioPretrainingTests {
  @Test func anAudioConfigIsRead() throws {
    let config = try PretrainingConfig(yaml: tinyAudioConfigText(), file: "tiny.yaml")
    let audio = try #require(config.audio)
    #expect(audio.path == timitSample)
    #expect(config.data.path == timitSample)
    #expect(audio.selection.speakers == ["FALK0", "MCPM0"])
    #expect(audio.selection.subset == .all)
    #expect(audio.components == 12)
    #expect(audio.whiteningEpsilon == 0.05)
    #expect(try audio.spectrogram() == Spectrogram())
    #expect(config.data.patch == [1, 40])
    #expect(config.preprocessing == .none)
    // Defaults: the paper's front end.
    let plain = try PretrainingConfig(
      yaml: """
        data: {audio: somewhere, subset: core-test, exclude_sa: true, patch: [1, 100]}
        layers: [{kind: crbm, filters: 3, filter: [1, 6], pooling: [1, 3]}]
        """, file: "plain.yaml")
    #expect(plain.audio?.components == 80)
    #expect(plain.audio?.selection == AudioDataset.Selection(subset: .coreTest, excludingSA: true))
  }

  @Test func audioConfigMistakesNameTheFileAndKey() throws {
    func error(_ data: String, _ preprocessing: String = "") -> String {
      thrownDescription {
        _ = try PretrainingConfig(
          yaml: """
            data: \(data)
            \(preprocessing)
            layers: [{kind: crbm, filters: 3, filter: [1, 6], pooling: [1, 3]}]
            """, file: "bad.yaml")
      }
    }
    #expect(error("{audio: x}").contains("data.patch: is required for audio"))
    #expect(error("{audio: x, patch: [2, 100]}").contains("height 1"))
    #expect(error("{audio: x, patch: [1, 100], grayscale: true}").contains("unknown key"))
    #expect(error("{audio: x, patch: [1, 100], subset: training}").contains("data.subset"))
    #expect(error("{audio: x, patch: [1, 100], speakers: []}").contains("data.speakers"))
    #expect(
      error("{audio: x, patch: [1, 100]}", "preprocessing: {whiten: 0.4}").contains(
        "unknown key \"preprocessing.whiten\""))
    #expect(
      error("{audio: x, patch: [1, 100]}", "preprocessing: {pca: {components: 200}}").contains(
        "161-bin"))
    #expect(
      error("{audio: x, patch: [1, 100]}", "preprocessing: {spectrogram: {hop_ms: 0}}").contains(
        "preprocessing.spectrogram"))
    #expect(error("{path: x, subset: train}").contains("unknown key \"data.subset\""))
    // A patch longer than the shortest utterance.
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    func pretrainingError(_ yaml: String) -> String {
      thrownDescription {
        try Pretrainer(
          config: try PretrainingConfig(yaml: yaml, file: "bad.yaml"),
          output: directory.file("m.h5"), reporter: ProgressReporter(quiet: true)
        ).run()
      }
    }
    let message = pretrainingError(
      tinyAudioConfigText().replacingOccurrences(of: "[1, 40]", with: "[1, 4000]"))
    #expect(message.contains("the longest has") && message.contains("[1, 4000]"), "\(message)")
    #expect(directory.contents().isEmpty)
    // A speaker the corpus does not have.
    let named = pretrainingError(
      tinyAudioConfigText().replacingOccurrences(of: "MCPM0", with: "MXYZ0"))
    #expect(named.contains(timitSample) && named.contains("MXYZ0"), "\(named)")
    #expect(directory.contents().isEmpty)
  }

  @Test func pretrainingStoresTheWhiteningFittedOnTheTrainingAudio() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("audio.h5")
    let config = try PretrainingConfig(yaml: tinyAudioConfigText(), file: "tiny.yaml")
    let trained = try Pretrainer(
      config: config, output: path, reporter: ProgressReporter(quiet: true)
    ).run()
    #expect(trained.progress?.complete == true)
    #expect(trained.model.layers.count == 2)
    #expect(trained.model.layers[0].inputChannels == 12)

    // The front end is the one fitted on the first six utterances of the two speakers, only.
    let dataset = try AudioDataset(
      path: timitSample, selection: AudioDataset.Selection(speakers: ["FALK0", "MCPM0"]))
    let expected = try AudioFeatures.fit(
      spectrogram: try Spectrogram(), signals: try (0..<6).map { try dataset.signal($0) },
      components: 12, epsilon: 0.05)
    #expect(trained.audioFrontEnd == expected)

    // Round trip through the file.
    let read = try ModelCheckpoint.read(from: path)
    #expect(read.audioFrontEnd == expected)
    #expect(read.model.preprocessing == .none)
    #expect(rbms(read) == rbms(trained))

    // Bases drawn as spectrogram patches: 161 frequency bins tall, 4 frames of 3 pixels wide, the
    // six layer-1 bases in one row under a 36-pixel header (at least 560 wide for its text).
    let picture = directory.file("bases.png")
    try BasisPictures.write(model: read.model, depth: 1, to: picture, zoom: 3)
    let header = try Array(bytes(picture).prefix(24))
    let size = (16..<24).map { Int(header[$0]) }
    #expect(size[0] << 24 | size[1] << 16 | size[2] << 8 | size[3] == 560)
    #expect(size[4] << 24 | size[5] << 16 | size[6] << 8 | size[7] == 36 + 161 + 2)
    try BasisPictures.write(model: read.model, depth: 2, to: picture, zoom: 3)

    // The layout the README documents, as h5py sees it.
    if SystemPython.hasH5py {
      let r = try SystemPython.run(
        """
        import h5py, sys
        f = h5py.File(sys.argv[1], "r")
        p = f["preprocessing"]
        print(p.attrs["kind"], p.attrs["sample_rate"], p.attrs["window_length"], p.attrs["hop_length"],
              p.attrs["fft_size"], p.attrs["center"], p["pca"].attrs["kind"], p["pca/mean"].shape,
              p["pca/components"].shape, p["pca/eigenvalues"].shape, f["layers/0/weights"].shape)
        """, arguments: [path])
      #expect(r.status == 0, "\(r.output)")
      #expect(
        r.output.trimmingCharacters(in: .whitespacesAndNewlines)
          == "spectrogram+pca 16000 320 160 320 0 pca_whitening (161,) (12, 161) (12,) (6, 12, 1, 4)",
        "\(r.output)")
    }
  }

  @Test func resumingAnAudioRunGivesTheSameWeights() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let config = try PretrainingConfig(yaml: tinyAudioConfigText(), file: "tiny.yaml")
    func pretrainer(_ name: String) -> Pretrainer {
      Pretrainer(
        config: config, output: directory.file(name), reporter: ProgressReporter(quiet: true))
    }
    let whole = try pretrainer("whole.h5").run()
    try pretrainer("parts.h5").run(stopAfterEpochs: 1)
    try pretrainer("parts.h5").run(resume: true, stopAfterEpochs: 2)
    let resumed = try pretrainer("parts.h5").run(resume: true)
    #expect(rbms(resumed) == rbms(whole))
    #expect(resumed.audioFrontEnd == whole.audioFrontEnd)
  }

  /// A 10-component front end fitted on FALK0's first utterance.
  static func oneUtteranceFrontEnd() throws -> AudioFeatures {
    let dataset = try AudioDataset(
      path: timitSample, selection: AudioDataset.Selection(speakers: ["FALK0"]))
    return try AudioFeatures.fit(
      spectrogram: try Spectrogram(), signals: [try dataset.signal(0)], components: 10)
  }

  @Test func aFrontEndThatDoesNotFitTheLayersIsAnError() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("mismatch.h5")
    let frontEnd = try Self.oneUtteranceFrontEnd()
    let model = ConvolutionalDBN(
      frontEnd: frontEnd,
      layers: [try handMadeRBM(channels: 12, filters: 3, size: (1, 4), pooling: (1, 2))])
    try ModelCheckpoint(config: "", model: model, progress: nil, history: []).write(to: path)
    let message = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
    #expect(message.contains(path) && message.contains("gives 10"), "\(message)")
  }

  @Test func aMalformedAudioFrontEndIsAnErrorNamingTheFileAndGroup() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("bad-front-end.h5")
    let good = try Self.oneUtteranceFrontEnd()
    for (hop, pca, expected) in [(160, false, "has no pca group"), (0, true, "hop 0")] {
      let file = try HDF5File(path: path, mode: .truncate)
      let group = try file.root.createGroup("preprocessing")
      if pca {
        try good.save(to: group)
      } else {
        try group.setAttribute("kind", AudioFeatures.kind)
      }
      try group.setAttribute("hop_length", hop)
      try file.closeChecked()
      let message = thrownDescription { _ = try ModelCheckpoint.read(from: path) }
      #expect(message.hasPrefix("\(path):/preprocessing: "), "\(message)")
      #expect(message.contains(expected), "\(message)")
    }
  }
}
