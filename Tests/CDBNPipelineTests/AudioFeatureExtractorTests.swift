import CDBNAudio
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// A hand-made two-layer audio model (front end fitted on three FALK0 utterances, 12 components;
/// layer 1: 5 bases of length 4, pooling 2; layer 2: 4 bases of length 3, pooling 3) in a fresh
/// directory.
struct HandMadeAudioModel {
  let directory: TemporaryDirectory
  let path: String
  let checkpoint: ModelCheckpoint

  init() throws {
    directory = try TemporaryDirectory()
    path = directory.file("audio-model.h5")
    let dataset = try AudioDataset(
      path: timitSample, selection: AudioDataset.Selection(speakers: ["FALK0"]))
    let frontEnd = try AudioFeatures.fit(
      spectrogram: try Spectrogram(), signals: try (0..<3).map { try dataset.signal($0) },
      components: 12)
    let model = ConvolutionalDBN(
      frontEnd: frontEnd,
      layers: [
        try handMadeRBM(
          visible: .gaussian, channels: 12, filters: 5, size: (1, 4), pooling: (1, 2)),
        try handMadeRBM(channels: 5, filters: 4, size: (1, 3), pooling: (1, 3), salt: 1),
      ])
    checkpoint = ModelCheckpoint(config: "", model: model, progress: nil, history: [])
    try checkpoint.write(to: path)
  }

  /// Runs an extractor of `representations` with `summary` on `selection` into `name` in the
  /// model's directory; returns the rows and columns written and the file's path.
  func extract(
    _ representations: String, _ summary: AudioFeatureExtractor.Summary,
    selection: AudioDataset.Selection, into name: String
  ) throws -> (rows: Int, columns: Int, path: String) {
    var extractor = try extractor(representations)
    extractor.summary = summary
    let path = directory.file(name)
    let (rows, columns) = try extractor.run(
      dataPath: timitSample, selection: selection, outputPath: path)
    return (rows, columns, path)
  }

  func extractor(_ representations: String) throws -> AudioFeatureExtractor {
    try AudioFeatureExtractor(
      modelPath: path, checkpoint: try ModelCheckpoint.read(from: path),
      representations: try #require(AudioFeatureExtractor.Representation.list(representations)))
  }

  /// Each representation's map [C, T] of `signal`, computed directly.
  func maps(_ signal: AudioSignal, _ representations: [String]) throws -> [Tensor] {
    let frontEnd = checkpoint.audioFrontEnd!
    return try representations.map { r in
      if r == "mfcc" {
        let m = try MFCC().features(signal)
        var t = Tensor(zeros: [m.shape[1], m.shape[0]])
        for i in 0..<m.shape[0] {
          for j in 0..<m.shape[1] { t.scalars[j * m.shape[0] + i] = m.scalars[i * m.shape[1] + j] }
        }
        return t
      }
      let x = try frontEnd.tensor(signal)
      let out = try checkpoint.model.propagate(x, through: Int(r)!)
      return out.reshaped([out.shape[1], out.shape[3]])
    }
  }
}

@Suite struct AudioFeatureExtractorTests {
  static let speakers = AudioDataset.Selection(speakers: ["FALK0", "MCPM0"], excludingSA: true)

  @Test func utteranceSummariesAreMeansAndMaximaOfEachRepresentation() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let (rows, columns, out) = try model.extract(
      "1,mfcc", .utterance, selection: Self.speakers, into: "utterances.h5")
    #expect(rows == 16)
    #expect(columns == 2 * 5 + 2 * 39)
    let dataset = try AudioDataset(path: timitSample, selection: Self.speakers)
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let root = file.root
    let features = try root.readFloats("features")
    #expect(features.shape == [16, 88])
    #expect(try root.readStrings("ids") == dataset.items.map(\.id))
    #expect(try root.readStrings("speakers") == dataset.items.map { $0.speaker! })
    #expect(try root.readStrings("label_names") == ["FALK0", "MCPM0"])
    #expect(
      try root.readInts("labels").values == dataset.items.map { $0.speaker == "FALK0" ? 0 : 1 })
    #expect(try root.stringAttribute("summary") == "utterance")
    #expect(try root.stringAttribute("representations") == "1,mfcc")
    #expect(
      try FeatureFile.blocks(in: out) == [
        .init(name: "1", count: 10), .init(name: "mfcc", count: 78),
      ])
    for i in [0, 11] {
      let maps = try model.maps(try dataset.signal(i), ["1", "mfcc"])
      let expected = try FeatureSummary.meanAndMax(maps[0]) + FeatureSummary.meanAndMax(maps[1])
      let row = Array(features.values[(i * 88)..<((i + 1) * 88)])
      #expect(maxDifference(row, expected) <= 1e-5)
    }
    // Gender labels instead.
    var extractor = try model.extractor("1,mfcc")
    extractor.summary = .utterance
    extractor.label = .gender
    try extractor.run(
      dataPath: timitSample, selection: Self.speakers, outputPath: model.directory.file("g.h5"))
    let gender = try HDF5File(path: model.directory.file("g.h5"), mode: .readOnly)
    defer { gender.close() }
    #expect(try gender.root.readStrings("label_names") == ["female", "male"])
    #expect(
      try gender.root.readInts("labels").values
        == dataset.items.map { $0.speaker == "FALK0" ? 0 : 1 })
  }

  @Test func phoneSegmentsAreSummarisedOverTheFramesCentredInThem() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let selection = AudioDataset.Selection(speakers: ["FALK0"], excludingSA: true)
    let (rows, columns, out) = try model.extract(
      "mfcc,2", .phones, selection: selection, into: "phones.h5")
    #expect(columns == 3 * 39 + 1 + 3 * 4 + 1)
    let dataset = try AudioDataset(path: timitSample, selection: selection)
    var expectedRows = 0
    var firstUtterance: [TimedLabel] = []
    for i in 0..<dataset.count {
      let phones = try dataset.phones(i).filter { TIMITPhones.fold($0.label) != nil }
      if i == 0 { firstUtterance = phones }
      expectedRows += phones.count
    }
    #expect(rows == expectedRows)
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let root = file.root
    let features = try root.readFloats("features").values
    let labels = try root.readInts("labels").values
    let segments = try root.readInts("segments")
    #expect(segments.shape == [rows, 2])
    #expect(try root.readStrings("label_names") == TIMITPhones.classes)
    let ids = try root.readStrings("ids")
    #expect(ids[0] == dataset.items[0].id + "/0")
    // Every phone of the first utterance, against a direct computation.
    let maps = try model.maps(try dataset.signal(0), ["mfcc", "2"])
    let timings = [
      FrameTiming(try MFCC().spectrogram),
      FrameTiming(try Spectrogram()).after(filterWidth: 4, pooling: 2).after(
        filterWidth: 3, pooling: 3),
    ]
    for (k, phone) in firstUtterance.enumerated() {
      var expected: [Float] = []
      for (map, timing) in zip(maps, timings) {
        expected += try FeatureSummary.segment(
          map, frames: timing.frames(of: phone, frameCount: map.shape[1]))
      }
      let row = Array(features[(k * columns)..<((k + 1) * columns)])
      #expect(maxDifference(row, expected) <= 1e-4, "phone \(k) \(phone.label)")
      #expect(labels[k] == TIMITPhones.classIndex(phone.label))
      #expect(Array(segments.values[(2 * k)..<(2 * k + 2)]) == [phone.start, phone.end])
    }
  }

  @Test func framesAreWrittenUtteranceAfterUtteranceWithOffsets() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let selection = AudioDataset.Selection(speakers: ["MCPM0"])
    let out = try model.extract("1", .frames, selection: selection, into: "frames.h5").path
    let dataset = try AudioDataset(path: timitSample, selection: selection)
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let root = file.root
    let features = try root.readFloats("features")
    let offsets = try root.readInts("offsets").values
    #expect(offsets.count == dataset.count + 1)
    #expect(features.shape == [offsets.last!, 5])
    #expect(abs(try root.doubleAttribute("frame_stride_seconds") - 0.02) < 1e-12)
    #expect(
      abs(try root.doubleAttribute("first_frame_centre_seconds") - (159.5 + 320) / 16000) < 1e-12)
    let i = 3
    let map = try model.maps(try dataset.signal(i), ["1"])[0]
    #expect(offsets[i + 1] - offsets[i] == map.shape[1])
    for t in [0, map.shape[1] - 1] {
      let row = Array(features.values[((offsets[i] + t) * 5)..<((offsets[i] + t + 1) * 5)])
      let expected = (0..<5).map { map.scalars[$0 * map.shape[1] + t] }
      #expect(maxDifference(row, expected) <= 1e-5)
    }
  }

  @Test func badRequestsAreErrorsAndWriteNothing() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let out = model.directory.file("never.h5")
    func failure(
      _ representations: String, _ body: (inout AudioFeatureExtractor) -> Void = { _ in },
      selection: AudioDataset.Selection = AudioFeatureExtractorTests.speakers,
      data: String = timitSample
    )
      -> String
    {
      thrownDescription {
        var e = try model.extractor(representations)
        body(&e)
        try e.run(dataPath: data, selection: selection, outputPath: out)
      }
    }
    #expect(failure("1,mfcc") { $0.summary = .frames }.contains("one representation"))
    #expect(failure("3").contains("--layer must be in 0...2"))
    #expect(failure("1") { $0.label = .label }.contains("TIMIT has no label column"))
    #expect(failure("1") { $0.label = .phone }.contains("--summary phones"))
    #expect(
      failure("1", selection: AudioDataset.Selection(speakers: ["MXYZ0"])).contains("MXYZ0"))
    #expect(failure("1", data: model.directory.file("nowhere")).contains("no such file"))
    #expect(!fileExists(out))
    #expect(AudioFeatureExtractor.Representation.list("1,1") == nil)
    #expect(AudioFeatureExtractor.Representation.list("one") == nil)
    #expect(AudioFeatureExtractor.Representation.list("2, MFCC") == [.layer(2), .mfcc])
    // A model that was not trained on audio.
    let images = model.directory.file("images.h5")
    try writeHandMadeModel(to: images)
    let message = thrownDescription {
      _ = try AudioFeatureExtractor(
        modelPath: images, checkpoint: try ModelCheckpoint.read(from: images),
        representations: [.layer(1)])
    }
    #expect(message.contains("was not trained on audio"))
  }

  @Test func splittingDrawsRowsPerLabelOrSpeakerReproducibly() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let all = try model.extract("0", .utterance, selection: Self.speakers, into: "all.h5").path
    let everything = try FeatureFile.read(all)
    func split(_ rule: FeatureSplit.Rule, seed: UInt64) throws -> (FeatureFile, FeatureFile) {
      let train = model.directory.file("train-\(seed).h5")
      let test = model.directory.file("test-\(seed).h5")
      try FeatureSplit(rule: rule, seed: seed).run(
        input: all, trainOutput: train, testOutput: test)
      return (try FeatureFile.read(train), try FeatureFile.read(test))
    }
    let (train, test) = try split(.perLabel(3), seed: 4)
    #expect(train.labels!.filter { $0 == 0 }.count == 3)
    #expect(train.labels!.filter { $0 == 1 }.count == 3)
    #expect(test.features.rows == 10)
    #expect(Set(train.ids!).isDisjoint(with: test.ids!))
    #expect(Set(train.ids! + test.ids!) == Set(everything.ids!))
    // Rows travel with their features.
    for (k, id) in train.ids!.enumerated() {
      let source = everything.ids!.firstIndex(of: id)!
      #expect(
        Array(train.features.values[(k * 24)..<((k + 1) * 24)])
          == Array(everything.features.values[(source * 24)..<((source + 1) * 24)]))
    }
    let again = try split(.perLabel(3), seed: 4)
    #expect(again.0.ids == train.ids)
    #expect(try split(.perLabel(3), seed: 5).0.ids != train.ids)
    let bySpeaker = try split(.perSpeaker(7), seed: 6)
    #expect(bySpeaker.0.features.rows == 14 && bySpeaker.1.features.rows == 2)
    let splitFile = try HDF5File(path: model.directory.file("train-6.h5"), mode: .readOnly)
    #expect(try splitFile.root.stringAttribute("split_rule") == "per-speaker 7")
    #expect(try splitFile.root.stringAttribute("summary") == "utterance")
    #expect(
      try FeatureFile.blocks(in: model.directory.file("train-6.h5")) == [
        .init(name: "0", count: 24)
      ])
    #expect(try splitFile.root.readStrings("label_names") == ["FALK0", "MCPM0"])
    splitFile.close()
    let tooMany = thrownDescription { _ = try split(.perLabel(9), seed: 7) }
    #expect(tooMany.contains("fewer than the 9"), "\(tooMany)")
    let nothingLeft = thrownDescription { _ = try split(.perSpeaker(8), seed: 8) }
    #expect(nothingLeft.contains("leaves none to test"), "\(nothingLeft)")
    #expect(!fileExists(model.directory.file("train-7.h5")))
    #expect(!fileExists(model.directory.file("train-8.h5")))
  }
}

/// Utterances of any length through every layer, from a CSV named without a folder.
@Suite struct ShortUtteranceTests {
  /// 16-bit mono PCM WAV bytes of `samples` (a 300 Hz tone) at 16 kHz.
  static func wav(count: Int) -> [UInt8] {
    func le(_ v: Int, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    var out = Array("RIFF".utf8) + le(36 + 2 * count, 4) + Array("WAVEfmt ".utf8)
    out += le(16, 4) + le(1, 2) + le(1, 2) + le(16000, 4) + le(32000, 4) + le(2, 2) + le(16, 2)
    out += Array("data".utf8) + le(2 * count, 4)
    for i in 0..<count {
      out += le(Int(UInt16(bitPattern: Int16(8000 * sin(Double(i) * 2 * .pi * 300 / 16000)))), 2)
    }
    return out
  }

  /// A long utterance (0.5 s), one of 800 samples (4 frames) and one shorter than a window.
  static let lengths = ["long.wav": 8000, "short.wav": 800, "tiny.wav": 100]

  @Test func everyUtteranceHasLayerTwoFeaturesPaddedWithTheMeanFrame() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let dir = model.directory
    for (name, count) in Self.lengths {
      try Data(Self.wav(count: count)).write(to: URL(fileURLWithPath: dir.file(name)))
    }
    // A bare file name: its relative paths resolve against the current folder (dir).
    try "path,label\nlong.wav,a\nshort.wav,b\ntiny.wav,a\n".write(
      toFile: dir.file("list.csv"), atomically: true, encoding: .utf8)
    let r = try CLITests.cdbn(
      [
        "features", "--model", model.path, "--layer", "2", "--summary", "utterance", "--data",
        "list.csv", "--out", "u.h5",
      ], in: dir)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(
      r.stderr.contains("2 utterance(s) shorter than the 8 frames layer 2 needs were padded"),
      "\(r.stderr)")
    let file = try HDF5File(path: dir.file("u.h5"), mode: .readOnly)
    defer { file.close() }
    let features = try file.root.readFloats("features")
    #expect(features.shape == [3, 2 * 4])
    #expect(try file.root.intAttribute("padded_utterances") == 2)

    // Each row against the front end and layers applied by hand, padded with zeros to 8 frames.
    let frontEnd = try #require(model.checkpoint.audioFrontEnd)
    for (row, name) in ["long.wav", "short.wav", "tiny.wav"].enumerated() {
      var signal = try AudioFile.read(path: dir.file(name), sampleRate: 16000)
      if signal.samples.count < 320 { signal.samples += [Float](repeating: 0, count: 320 - 100) }
      var x = try frontEnd.tensor(signal)
      let t = x.shape[3]
      if t < 8 {
        var padded = Tensor(zeros: [1, x.shape[1], 1, 8])
        for c in 0..<x.shape[1] {
          for j in 0..<t { padded.scalars[c * 8 + j] = x.scalars[c * t + j] }
        }
        x = padded
      }
      let out = try model.checkpoint.model.propagate(x, through: 2)
      let expected = try FeatureSummary.meanAndMax(out.reshaped([out.shape[1], out.shape[3]]))
      let got = Array(features.values[(row * 8)..<((row + 1) * 8)])
      #expect(maxDifference(got, expected) <= 1e-5, "\(name)")
    }

    // Per-frame maps: at least one frame each, the offsets in step with them.
    let frames = try CLITests.cdbn(
      [
        "features", "--model", model.path, "--layer", "2", "--summary", "frames", "--data",
        "list.csv", "--out", "f.h5",
      ], in: dir)
    try #require(frames.status == 0, "\(CLITests.describe(frames))")
    let f = try HDF5File(path: dir.file("f.h5"), mode: .readOnly)
    defer { f.close() }
    let offsets = try f.root.readInts("offsets").values
    #expect(offsets.count == 4 && zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 })
    #expect(offsets.last == (try f.root.readFloats("features").shape[0]))
  }

  /// Phone segments of a 0.05 s TIMIT-layout utterance (4 frames) through layer 2.
  @Test func phoneSegmentsOfAShortUtteranceHaveLayerTwoFeatures() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    let corpus = model.directory.file("timit")
    let speaker = corpus + "/dr1-fxyz0"
    try FileManager.default.createDirectory(atPath: speaker, withIntermediateDirectories: true)
    try Data(Self.wav(count: 800)).write(to: URL(fileURLWithPath: speaker + "/si1.wav"))
    try "0 200 h#\n200 500 aa\n500 800 s\n".write(
      toFile: speaker + "/si1.phn", atomically: true, encoding: .utf8)
    let r = try CLITests.cdbn(
      [
        "features", "--model", model.path, "--layer", "2", "--summary", "phones", "--data", corpus,
        "--out", "p.h5",
      ], in: model.directory)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(r.stderr.contains("1 utterance(s) shorter than the 8 frames"), "\(r.stderr)")
    let file = try HDF5File(path: model.directory.file("p.h5"), mode: .readOnly)
    defer { file.close() }
    let features = try file.root.readFloats("features")
    #expect(features.shape == [3, 3 * 4 + 1])
    #expect(features.values.allSatisfy { $0.isFinite })
  }
}
