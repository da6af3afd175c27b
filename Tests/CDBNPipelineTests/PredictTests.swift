import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// `cdbn predict`: saved classifiers and CNNs on new data, with and without labels.
@Suite struct PredictTests {
  /// `path` without its `/labels` and `/label_names`.
  static func unlabelledCopy(of path: String, to copy: String) throws {
    let source = try HDF5File(path: path, mode: .readOnly)
    let target = try HDF5File(path: copy, mode: .truncate)
    for name in ["features", "data"] where source.root.contains(name) {
      let values = try source.root.readFloats(name)
      try target.root.writeFloats(name, shape: values.shape, values.values)
    }
    source.close()
    try target.closeChecked()
  }

  /// Training (20 rows per class), test (5, its classes numbered in the order `testNames`) and
  /// unlabelled copies of the test features of three named blob classes.
  static func blobFiles(in dir: TemporaryDirectory, testNames: [String]) throws -> (
    train: String, test: String, new: String
  ) {
    let (train, test, new) = (dir.file("train.h5"), dir.file("test.h5"), dir.file("new.h5"))
    try LabelMatchTests.writeNamedBlobs(
      train, names: ["a", "b", "c"], present: ["a", "b", "c"], perClass: 20, seed: 1)
    try LabelMatchTests.writeNamedBlobs(
      test, names: testNames, present: ["a", "b", "c"], perClass: 5, seed: 2)
    try unlabelledCopy(of: test, to: new)
    return (train, test, new)
  }

  @Test func savedClassifiersPredictUnlabelledFeaturesWithScoresAndNames() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (train, test, new) = try Self.blobFiles(in: dir, testNames: ["c", "a", "b"])
    for kind in ["linear-svm", "rbf-svm", "softmax"] {
      let model = dir.file("\(kind).h5")
      let fit = try CLITests.cdbn(
        [
          "classify", "--train", train, "--test", test, "--classifier", kind, "--c", "1", "--out",
          model,
        ], in: dir)
      try #require(fit.status == 0, "\(CLITests.describe(fit))")
      let out = dir.file("\(kind)-predictions.h5")
      let r = try CLITests.cdbn(
        ["predict", "--model", model, "--data", new, "--out", out], in: dir)
      try #require(r.status == 0, "\(kind): \(CLITests.describe(r))")
      let file = try HDF5File(path: out, mode: .readOnly)
      defer { file.close() }
      // Rows cycle a, b, c: the model's numbering 0, 1, 2, whatever the test file's was.
      let predicted = try file.root.readInts("predictions").values
      #expect(predicted == (0..<15).map { $0 % 3 }, "\(kind)")
      #expect(
        try file.root.readStrings("predicted_names") == (0..<15).map { ["a", "b", "c"][$0 % 3] })
      #expect(try file.root.readStrings("class_names") == ["a", "b", "c"])
      let scores = try file.root.readFloats("scores")
      #expect(scores.shape == [15, 3])
      for row in 0..<15 {
        let s = Array(scores.values[(row * 3)..<(row * 3 + 3)])
        #expect(s.firstIndex(of: s.max()!) == predicted[row], "\(kind) row \(row): \(s)")
        if kind == "rbf-svm" { #expect(s.reduce(0, +) == 3, "three one-vs-one votes") }
      }
      #expect(file.root.contains("probabilities") == (kind == "softmax"))
      if kind == "softmax" {
        let p = try file.root.readFloats("probabilities").values
        for row in 0..<15 { #expect(abs(p[(row * 3)..<(row * 3 + 3)].reduce(0, +) - 1) < 1e-5) }
      }
      #expect(!file.root.contains("labels"))
    }

    // With labels, predict scores them by name, as classify does.
    let scored = try CLITests.cdbn(
      ["predict", "--model", dir.file("softmax.h5"), "--data", test, "--out", dir.file("s.h5")],
      in: dir)
    #expect(scored.status == 0 && scored.stdout.contains("error 0.00% (0 of 15 wrong)"))
    // classify --model needs labels, and says what to run instead.
    let unlabelled = try CLITests.cdbn(
      ["classify", "--model", dir.file("softmax.h5"), "--test", new], in: dir)
    #expect(
      unlabelled.status != 0 && unlabelled.stderr.contains("cdbn predict"),
      "\(CLITests.describe(unlabelled))")
    // A file that is no model is refused, naming it.
    let wrong = try CLITests.cdbn(
      ["predict", "--model", new, "--data", new, "--out", "x.h5"], in: dir)
    #expect(wrong.status != 0 && wrong.stderr.contains(new), "\(CLITests.describe(wrong))")
    #expect(!fileExists(dir.file("x.h5")))
  }

  @Test func svmsTrainedWithProbabilityPredictProbabilities() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (train, test, new) = try Self.blobFiles(in: dir, testNames: ["a", "b", "c"])
    for kind in ["linear-svm", "rbf-svm"] {
      let model = dir.file("\(kind).h5")
      let fit = try CLITests.cdbn(
        [
          "classify", "--train", train, "--test", test, "--classifier", kind, "--c", "1",
          "--probability", "--cv", "3", "--out", model,
        ], in: dir)
      try #require(fit.status == 0, "\(CLITests.describe(fit))")
      let out = dir.file("\(kind)-predictions.h5")
      let r = try CLITests.cdbn(
        ["predict", "--model", model, "--data", new, "--out", out], in: dir)
      try #require(r.status == 0, "\(kind): \(CLITests.describe(r))")
      let file = try HDF5File(path: out, mode: .readOnly)
      defer { file.close() }
      let predicted = try file.root.readInts("predictions").values
      let p = try file.root.readFloats("probabilities")
      #expect(p.shape == [15, 3])
      for row in 0..<15 {
        let q = Array(p.values[(row * 3)..<(row * 3 + 3)])
        #expect(abs(q.reduce(0, +) - 1) < 1e-4, "\(kind) row \(row): \(q)")
        #expect(q.firstIndex(of: q.max()!) == predicted[row], "\(kind) row \(row): \(q)")
      }
    }
    let softmax = try CLITests.cdbn(
      ["classify", "--train", train, "--test", test, "--classifier", "softmax", "--probability"],
      in: dir)
    #expect(softmax.status != 0 && softmax.stderr.contains("--probability"))
  }

  @Test func aCNNPredictsUnlabelledExamplesAsItClassifiesLabelledOnes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let images = syntheticImages(count: 24)
    let data = dir.file("data.h5")
    try LabelMatchTests.writeNamedData(
      data, images, labels: (0..<24).map { $0 % 3 }, names: ["x", "y", "z"])
    let new = dir.file("new.h5")
    try Self.unlabelledCopy(of: data, to: new)
    let config = dir.file("cnn.yaml")
    try SupervisedCLITests.cnnConfig.write(toFile: config, atomically: true, encoding: .utf8)
    let cnn = dir.file("cnn.h5")
    let trained = try CLITests.cdbn(["train-cnn", config, "--data", data, "--out", cnn], in: dir)
    try #require(trained.status == 0, "\(CLITests.describe(trained))")
    let labelled = dir.file("labelled.h5")
    let classified = try CLITests.cdbn(
      ["classify", "--classifier", "cnn", "--model", cnn, "--test", data, "--out", labelled],
      in: dir)
    try #require(classified.status == 0, "\(CLITests.describe(classified))")
    let out = dir.file("p.h5")
    let r = try CLITests.cdbn(["predict", "--model", cnn, "--data", new, "--out", out], in: dir)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    let file = try HDF5File(path: out, mode: .readOnly)
    defer { file.close() }
    let reference = try HDF5File(path: labelled, mode: .readOnly)
    defer { reference.close() }
    #expect(
      try file.root.readInts("predictions").values
        == reference.root.readInts("predictions").values)
    let p = try file.root.readFloats("probabilities")
    #expect(p.shape == [24, 3])
    // inspect describes the CNN and the predictions.
    let network = try CLITests.cdbn(["inspect", cnn], in: dir)
    #expect(
      network.status == 0 && network.stdout.contains(": CNN, 4 layer(s)"), "\(network.stdout)")
    #expect(network.stdout.contains("classes: x, y, z"), "\(network.stdout)")
    let predictions = try CLITests.cdbn(["inspect", out], in: dir)
    #expect(predictions.stdout.contains("predictions of cnn, 24 rows"), "\(predictions.stdout)")
    for row in 0..<24 { #expect(abs(p.values[(row * 3)..<(row * 3 + 3)].reduce(0, +) - 1) < 1e-4) }
  }
}
