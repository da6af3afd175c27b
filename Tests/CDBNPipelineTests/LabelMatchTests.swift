import CDBNAudio
import CDBNClassifiers
import CDBNDatasets
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// Labels are matched by name (`/label_names`) between a training file, a saved classifier and a
/// test file that number their classes differently, for every classifier and every file maker.
@Suite struct LabelMatchTests {
  /// The feature dimension that is bright for each class name: blobs far apart, so every
  /// classifier gets every known class right and the expected accuracies are exact.
  static let centre = ["a": 0, "b": 1, "c": 2, "d": 3]

  /// `perClass` examples of each class in `present` (interleaved), labelled by their index in
  /// `names`; without `names`, by their centre (and no `/label_names` is written).
  static func writeNamedBlobs(
    _ path: String, names: [String]?, present: [String], perClass: Int, seed: UInt64
  ) throws {
    let d = 6
    var rng = RandomStream(seed: seed)
    var values: [Float] = []
    var labels: [Int] = []
    for n in 0..<(perClass * present.count) {
      let name = present[n % present.count]
      for j in 0..<d { values.append(0.3 * rng.nextNormal() + (j == centre[name]! ? 3 : 0)) }
      labels.append(names.map { $0.firstIndex(of: name)! } ?? centre[name]!)
    }
    let file = try HDF5File(path: path, mode: .truncate)
    try file.root.writeFloats("features", shape: [labels.count, d], values)
    try file.root.writeInts("labels", shape: [labels.count], labels)
    if let names { try file.root.writeStrings("label_names", names) }
    try file.closeChecked()
  }

  /// Fits `kind` on `train` (C = 1) and tests on `test` through the library.
  static func classify(
    _ kind: ClassifierKind, train: String, test: String, out: String? = nil, strict: Bool = false
  ) throws -> ClassificationReport {
    var run = Classification(kind: kind)
    run.c = 1
    run.strict = strict
    return try run.run(trainPath: train, testPath: test, outputPath: out).report
  }

  @Test func everyClassifierMatchesMissingExtraAndReorderedClassesByName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let train = dir.file("train.h5")
    try Self.writeNamedBlobs(
      train, names: ["a", "b", "c"], present: ["a", "b", "c"], perClass: 20, seed: 1)
    let missing = dir.file("missing.h5")
    try Self.writeNamedBlobs(
      missing, names: ["b", "c"], present: ["b", "c"], perClass: 10, seed: 2)
    let reordered = dir.file("reordered.h5")
    try Self.writeNamedBlobs(
      reordered, names: ["c", "a", "b"], present: ["a", "b", "c"], perClass: 10, seed: 3)
    let extra = dir.file("extra.h5")
    try Self.writeNamedBlobs(
      extra, names: ["a", "b", "c", "d"], present: ["a", "b", "c", "d"], perClass: 10, seed: 4)
    for kind in [ClassifierKind.linearSVM, .rbfSVM, .softmax] {
      let m = try Self.classify(kind, train: train, test: missing)
      #expect(m.errorPercent == 0 && m.total == 20, "\(kind) missing: \(m.rendered())")
      #expect(m.classNames == ["b", "c"] && m.classes == [1, 2], "\(kind): \(m.classes)")

      let r = try Self.classify(kind, train: train, test: reordered)
      #expect(r.errorPercent == 0 && r.total == 30, "\(kind) reordered: \(r.rendered())")
      #expect(r.classNames == ["a", "b", "c"])

      // "d" was never trained on: its 10 examples are errors, in a row of their own.
      let x = try Self.classify(kind, train: train, test: extra)
      #expect(x.correct == 30 && x.total == 40, "\(kind) extra: \(x.rendered())")
      #expect(x.classNames == ["a", "b", "c", "d"] && x.untrained == [3])
      #expect(x.confusion[3].reduce(0, +) == 10 && x.confusion[3][3] == 0)
      #expect(x.rendered().contains("d: 0.00% (0 of 10), never in training"), "\(x.rendered())")

      let refused = thrownDescription {
        _ = try Self.classify(kind, train: train, test: extra, strict: true)
      }
      #expect(refused.contains(extra) && refused.contains("\"d\" (10 examples)"), "\(refused)")
    }
  }

  @Test func theCLINamesClassesWarnsAboutUnseenOnesAndTheSavedModelMatchesByName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (train, extra, reordered) = (dir.file("train.h5"), dir.file("x.h5"), dir.file("r.h5"))
    try Self.writeNamedBlobs(
      train, names: ["a", "b", "c"], present: ["a", "b", "c"], perClass: 20, seed: 1)
    try Self.writeNamedBlobs(
      extra, names: ["d", "a", "b"], present: ["a", "b", "d"], perClass: 10, seed: 2)
    try Self.writeNamedBlobs(
      reordered, names: ["b", "c", "a"], present: ["a", "b", "c"], perClass: 10, seed: 3)
    let out = dir.file("result.h5")
    let r = try CLITests.cdbn(
      ["classify", "--train", train, "--test", extra, "--c", "1", "--out", out], in: dir)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(r.stdout.contains("error 33.33% (10 of 30 wrong)"), "\(r.stdout)")
    #expect(r.stdout.contains("  d: 0.00% (0 of 10), never in training"), "\(r.stdout)")
    #expect(r.stdout.contains("  a: 100.00% (10 of 10)"), "\(r.stdout)")
    #expect(r.stderr.contains("\"d\" (10 examples)") && r.stderr.contains(extra), "\(r.stderr)")
    #expect(!r.stderr.contains("by number"), "\(r.stderr)")

    let file = try HDF5File(path: out, mode: .readOnly)
    #expect(try file.root.readStrings("label_names") == ["a", "b", "c", "d"])
    #expect(try file.root.readStrings("class_names") == ["a", "b", "d"])
    #expect(try file.root.readStrings("model/label_names") == ["a", "b", "c"])
    // Test rows cycle a, b, d: in the classifier's numbering 0, 1, and 3 for "d".
    #expect(try file.root.readInts("labels").values == (0..<30).map { [0, 1, 3][$0 % 3] })
    file.close()

    let strict = try CLITests.cdbn(
      [
        "classify", "--train", train, "--test", extra, "--c", "1", "--strict", "--out", out,
        "--force",
      ], in: dir)
    #expect(strict.status != 0 && strict.stderr.contains("\"d\""), "\(CLITests.describe(strict))")

    // The saved classifier, applied to a file that lists its classes in another order.
    let applied = try CLITests.cdbn(["classify", "--model", out, "--test", reordered], in: dir)
    #expect(
      applied.status == 0 && applied.stdout.contains("error 0.00% (0 of 30 wrong)"),
      "\(CLITests.describe(applied))")
    #expect(applied.stdout.contains("  c: 100.00% (10 of 10)"), "\(applied.stdout)")
  }

  @Test func filesWithoutNamesFallBackToNumbersWithAWarning() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (train, plain, named) = (dir.file("train.h5"), dir.file("plain.h5"), dir.file("named.h5"))
    try Self.writeNamedBlobs(train, names: nil, present: ["a", "b", "c"], perClass: 20, seed: 1)
    try Self.writeNamedBlobs(plain, names: nil, present: ["a", "b", "c"], perClass: 10, seed: 2)
    try Self.writeNamedBlobs(
      named, names: ["a", "b", "c"], present: ["a", "b", "c"], perClass: 10, seed: 3)
    let both = try CLITests.cdbn(
      ["classify", "--train", train, "--test", plain, "--c", "1"], in: dir)
    #expect(both.status == 0 && both.stdout.contains("error 0.00%"), "\(CLITests.describe(both))")
    let warnings = both.stderr.split(separator: "\n").filter { $0.contains("by number") }
    #expect(warnings.count == 1, "\(both.stderr)")
    #expect(warnings.first?.contains("\(plain) and \(train) have no /label_names") == true)
    #expect(both.stdout.contains("  0: 100.00% (10 of 10)"), "\(both.stdout)")

    let one = try CLITests.cdbn(
      ["classify", "--train", train, "--test", named, "--c", "1"], in: dir)
    #expect(one.status == 0, "\(CLITests.describe(one))")
    #expect(one.stderr.contains("\(train) has no /label_names"), "\(one.stderr)")

    // Names that cannot name the labels are an error naming the file.
    let bad = dir.file("bad.h5")
    try Self.writeNamedBlobs(
      bad, names: ["a", "a", "c"], present: ["a", "c"], perClass: 4, seed: 5)
    let refused = try CLITests.cdbn(
      ["classify", "--train", train, "--test", bad, "--c", "1"], in: dir)
    #expect(
      refused.status != 0 && refused.stderr.contains(bad) && refused.stderr.contains("distinct"),
      "\(CLITests.describe(refused))")
  }

  /// Writes `images` with `labels` and `/label_names` as an HDF5 data set.
  static func writeNamedData(_ path: String, _ images: Tensor, labels: [Int], names: [String])
    throws
  {
    let file = try HDF5File(path: path, mode: .truncate)
    try file.root.writeFloats("data", shape: images.shape, images.scalars)
    try file.root.writeInts("labels", shape: [labels.count], labels)
    try file.root.writeStrings("label_names", names)
    try file.closeChecked()
  }

  /// The per-class line of `name` in a printed report.
  static func line(_ report: String, _ name: String) -> String? {
    report.split(separator: "\n").first { $0.hasPrefix("  \(name): ") }.map(String.init)
  }

  @Test func cnnMatchesByNameWhenClassifyingAndWhenResuming() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let images = syntheticImages(count: 24)
    let labels = (0..<24).map { $0 % 3 }
    let data = dir.file("data.h5")
    try Self.writeNamedData(data, images, labels: labels, names: ["x", "y", "z"])
    // The same images numbered by another list of names: x → 1, y → 2, z → 0.
    let renumbered = dir.file("renumbered.h5")
    try Self.writeNamedData(
      renumbered, images, labels: labels.map { ($0 + 1) % 3 }, names: ["z", "x", "y"])
    // Only the y and z images, numbered 0 and 1.
    let keep = (0..<24).filter { labels[$0] != 0 }
    var subset = Tensor(zeros: [keep.count, 1, 12, 12])
    for (i, r) in keep.enumerated() {
      subset.scalars[(i * 144)..<((i + 1) * 144)] = images.scalars[(r * 144)..<((r + 1) * 144)]
    }
    let noX = dir.file("no-x.h5")
    try Self.writeNamedData(noX, subset, labels: keep.map { labels[$0] - 1 }, names: ["y", "z"])

    let config = dir.file("cnn.yaml")
    try SupervisedCLITests.cnnConfig.write(toFile: config, atomically: true, encoding: .utf8)
    let cnn = dir.file("cnn.h5")
    let trained = try CLITests.cdbn(["train-cnn", config, "--data", data, "--out", cnn], in: dir)
    try #require(trained.status == 0, "\(CLITests.describe(trained))")

    func classify(_ test: String) throws -> String {
      let r = try CLITests.cdbn(
        ["classify", "--classifier", "cnn", "--model", cnn, "--test", test], in: dir)
      try #require(r.status == 0, "\(CLITests.describe(r))")
      return r.stdout
    }
    let original = try classify(data)
    #expect(try classify(renumbered) == original)
    let partial = try classify(noX)
    for name in ["y", "z"] {
      #expect(
        Self.line(partial, name) != nil && Self.line(partial, name) == Self.line(original, name))
    }

    // A resumed run on data that numbers the classes differently ends with the same weights.
    let resumed = dir.file("resumed.h5")
    let first = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", resumed, "--epochs", "1"], in: dir)
    try #require(first.status == 0, "\(CLITests.describe(first))")
    let second = try CLITests.cdbn(
      ["train-cnn", config, "--data", renumbered, "--out", resumed, "--resume"], in: dir)
    try #require(second.status == 0, "\(CLITests.describe(second))")
    #expect(
      try SupervisedCLITests.networkWeights(resumed) == SupervisedCLITests.networkWeights(cnn))
    let stillNamed = try HDF5File(path: resumed, mode: .readOnly)
    #expect(try stillNamed.root.readStrings("label_names") == ["x", "y", "z"])
    stillNamed.close()
    // Data without one of the checkpoint's classes cannot resume it.
    let refused = try CLITests.cdbn(
      ["train-cnn", config, "--data", noX, "--out", resumed, "--resume"], in: dir)
    #expect(
      refused.status != 0 && refused.stderr.contains("\"x\""), "\(CLITests.describe(refused))")
  }

  /// A 12×12 gray picture of class `name`: one bright half (left, right or top), light noise.
  static func picture(_ name: String, seed: UInt64) -> [UInt8] {
    var rng = RandomStream(seed: seed)
    return (0..<144).map { p in
      let (i, j) = (p / 12, p % 12)
      let bright = name == "a" ? j < 6 : name == "b" ? j >= 6 : i < 6
      return UInt8((bright ? 200 : 30) + rng.nextInt(below: 20))
    }
  }

  @Test func imageFoldersWithADifferentSetOfClassFoldersAreMatchedByName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var seed: UInt64 = 1
    for (folder, classes) in [("train", ["a", "b", "c"]), ("test", ["b", "c"])] {
      for name in classes {
        let path = dir.file("\(folder)/\(name)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for k in 0..<5 {
          seed += 1
          try PNGWriter.write(
            gray: Self.picture(name, seed: seed), width: 12, height: 12, to: "\(path)/\(k).png")
        }
      }
    }
    let model = dir.file("m.h5")
    _ = try writeHandMadeModel(to: model)
    for part in ["train", "test"] {
      let r = try CLITests.cdbn(
        [
          "features", "--model", model, "--layer", "0", "--data", dir.file(part), "--out",
          dir.file("\(part).h5"),
        ], in: dir)
      try #require(r.status == 0, "\(CLITests.describe(r))")
    }
    let file = try HDF5File(path: dir.file("test.h5"), mode: .readOnly)
    #expect(try file.root.readStrings("label_names") == ["b", "c"])
    file.close()
    let r = try CLITests.cdbn(
      ["classify", "--train", dir.file("train.h5"), "--test", dir.file("test.h5"), "--c", "1"],
      in: dir)
    #expect(
      r.status == 0 && r.stdout.contains("error 0.00% (0 of 10 wrong)"), "\(CLITests.describe(r))")
    #expect(r.stdout.contains("  b: 100.00% (5 of 5)"), "\(r.stdout)")
  }

  @Test func aTIMITTestSetWithoutOneSpeakerIsScoredSpeakerBySpeaker() throws {
    let model = try HandMadeAudioModel()
    defer { model.directory.remove() }
    func extract(_ speakers: [String], _ name: String) throws -> String {
      var extractor = try model.extractor("1")
      extractor.summary = .utterance
      extractor.label = .speaker
      let path = model.directory.file(name)
      try extractor.run(
        dataPath: timitSample, selection: AudioDataset.Selection(speakers: speakers),
        outputPath: path)
      return path
    }
    let train = try extract(["FALK0", "FVMH0", "MCPM0"], "train.h5")
    let all = try extract(["FALK0", "FVMH0", "MCPM0"], "all.h5")
    // Without FALK0 the test file numbers FVMH0 0 and MCPM0 1; the training file, 1 and 2.
    let two = try extract(["FVMH0", "MCPM0"], "two.h5")
    let full = try Self.classify(.linearSVM, train: train, test: all)
    let partial = try Self.classify(.linearSVM, train: train, test: two)
    #expect(partial.classNames == ["FVMH0", "MCPM0"] && partial.classes == [1, 2])
    for name in ["FVMH0", "MCPM0"] {
      let i = try #require(full.classNames.firstIndex(of: name))
      let j = try #require(partial.classNames.firstIndex(of: name))
      #expect(partial.confusion[j][j] == full.confusion[i][i], "\(name)")
      #expect(partial.confusion[j].reduce(0, +) == full.confusion[i].reduce(0, +))
    }

    // split names the class whose rows are too few.
    let split = thrownDescription {
      try FeatureSplit(rule: .perLabel(100)).run(
        input: two, trainOutput: model.directory.file("s.h5"), testOutput: nil)
    }
    #expect(split.contains("class \"FVMH0\" has 10 row(s)"), "\(split)")
  }
}
