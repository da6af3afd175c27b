import CDBNConvNet
import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// `cdbn classify` and `cdbn train-cnn` end to end, on small synthetic files.
@Suite struct SupervisedCLITests {
  /// Three well-separated Gaussian blobs in `d` dimensions: labels 0, 1, 2.
  static func writeBlobs(
    _ path: String, count: Int, d: Int = 6, seed: UInt64, labelCount: Int? = nil,
    nanAt: Int? = nil
  ) throws {
    var rng = RandomStream(seed: seed)
    var values = [Float](repeating: 0, count: count * d)
    for n in 0..<count {
      for j in 0..<d { values[n * d + j] = 0.3 * rng.nextNormal() + (j == n % 3 ? 3 : 0) }
    }
    if let nanAt { values[nanAt * d] = .nan }
    try writeFeatures(
      path, shape: [count, d], values, labels: (0..<(labelCount ?? count)).map { $0 % 3 })
  }

  /// A feature file as `cdbn features` lays it out: /features, /labels and, when given, /label_names.
  static func writeFeatures(
    _ path: String, shape: [Int], _ values: [Float], labels: [Int], names: [String]? = nil
  ) throws {
    let file = try HDF5File(path: path, mode: .truncate)
    try file.root.writeFloats("features", shape: shape, values)
    try file.root.writeInts("labels", shape: [labels.count], labels)
    if let names { try file.root.writeStrings("label_names", names) }
    try file.closeChecked()
  }

  @Test func classifyFitsTestsWritesAndReappliesAModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (train, test, out) = (dir.file("train.h5"), dir.file("test.h5"), dir.file("result.h5"))
    try Self.writeBlobs(train, count: 60, seed: 1)
    try Self.writeBlobs(test, count: 30, seed: 2)
    for kind in ["linear-svm", "softmax", "rbf-svm"] {
      try? FileManager.default.removeItem(atPath: out)
      let r = try CLITests.cdbn(
        [
          "classify", "--train", train, "--test", test, "--classifier", kind, "--cv", "3", "--out",
          out,
        ],
        in: dir)
      try #require(r.status == 0, "\(kind): \(CLITests.describe(r))")
      #expect(r.stdout.contains("3-fold cross-validation"), "\(r.stdout)")
      // Progress of the fits, also when standard error is not a terminal.
      // (Which fit reports first depends on the threads.)
      #expect(
        r.stderr.contains("cross-validation: ") && r.stderr.contains(" fits, "), "\(r.stderr)")
      #expect(r.stdout.contains("error 0.00%"), "\(kind): \(r.stdout)")
      let file = try HDF5File(path: out, mode: .readOnly)
      #expect(try file.root.readInts("predictions").values == (0..<30).map { $0 % 3 })
      #expect(try file.root.readInts("confusion").shape == [3, 3])
      #expect(try file.root.stringAttribute("classifier") == kind)
      #expect(file.root.isGroup("model") && file.root.isGroup("cross_validation"))
      // γ is stored only where the grid has one.
      #expect(try file.root.openGroup("cross_validation").contains("gamma") == (kind == "rbf-svm"))
      file.close()
    }
    // The saved model applied to the test set gives the same answer.
    let again = try CLITests.cdbn(["classify", "--model", out, "--test", test], in: dir)
    #expect(
      again.status == 0 && again.stdout.contains("error 0.00%"), "\(CLITests.describe(again))")
    // An existing --out is not replaced without --force.
    let refused = try CLITests.cdbn(
      ["classify", "--train", train, "--test", test, "--c", "1", "--out", out], in: dir)
    #expect(
      refused.status != 0 && refused.stderr.contains("--force"), "\(CLITests.describe(refused))")
  }

  @Test func classifyRejectsBadFeatureFilesAndWritesNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let good = dir.file("good.h5")
    try Self.writeBlobs(good, count: 30, seed: 1)
    let fewLabels = dir.file("few-labels.h5")
    try Self.writeBlobs(fewLabels, count: 30, seed: 1, labelCount: 29)
    let withNaN = dir.file("nan.h5")
    try Self.writeBlobs(withNaN, count: 30, seed: 1, nanAt: 7)
    let wide = dir.file("wide.h5")
    try Self.writeBlobs(wide, count: 30, d: 7, seed: 1)
    let cases: [(train: String, test: String, names: String, says: String)] = [
      (fewLabels, good, fewLabels, "labels"),
      (withNaN, good, withNaN, "NaN"),
      (good, wide, wide, "features per example"),
      (dir.file("missing.h5"), good, dir.file("missing.h5"), "missing"),
    ]
    for c in cases {
      let out = dir.file("out.h5")
      let r = try CLITests.cdbn(
        ["classify", "--train", c.train, "--test", c.test, "--c", "1", "--out", out], in: dir)
      #expect(r.status != 0, "\(CLITests.describe(r))")
      #expect(r.stderr.contains(c.names), "\(CLITests.describe(r))")
      #expect(
        r.stderr.localizedCaseInsensitiveContains(c.says) || c.says == "missing", "\(r.stderr)")
      #expect(!fileExists(out))
    }
  }

  static let cnnConfig = """
    seed: 4
    training: {epochs: 3, batch_size: 8, learning_rate: 0.05, momentum: 0.9, max_shift: 1}
    layers:
      - {kind: conv, filters: 4, kernel: 3}
      - {kind: sigmoid}
      - {kind: maxpool, size: 2}
      - {kind: dense, outputs: 3}
    """

  static func networkWeights(_ path: String) throws -> [[Float]] {
    let file = try HDF5File(path: path, mode: .readOnly)
    defer { file.close() }
    let network = try Network(from: file.root.openGroup("network"))
    return network.parameters.map(\.scalars)
  }

  @Test func trainCNNResumesExactlyAndClassifies() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = dir.file("data.h5")
    try writeDataFile(data, syntheticImages(count: 24))
    let config = dir.file("cnn.yaml")
    try Self.cnnConfig.write(toFile: config, atomically: true, encoding: .utf8)

    let straight = dir.file("straight.h5")
    let r = try CLITests.cdbn(["train-cnn", config, "--data", data, "--out", straight], in: dir)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(r.stderr.contains("epoch 3/3"), "\(r.stderr)")

    let resumed = dir.file("resumed.h5")
    let first = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", resumed, "--epochs", "1"], in: dir)
    try #require(first.status == 0, "\(CLITests.describe(first))")
    let second = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", resumed, "--resume"], in: dir)
    try #require(second.status == 0, "\(CLITests.describe(second))")
    #expect(try Self.networkWeights(resumed) == Self.networkWeights(straight))

    let classify = try CLITests.cdbn(
      ["classify", "--classifier", "cnn", "--model", straight, "--test", data], in: dir)
    #expect(
      classify.status == 0 && classify.stdout.hasPrefix("error "), "\(CLITests.describe(classify))")
    // Without --resume an existing model is not overwritten.
    let again = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", straight], in: dir)
    #expect(again.status != 0 && again.stderr.contains("--resume"), "\(CLITests.describe(again))")
  }

  /// A feature file of 1×6×6 maps: a vertical bar (label 0) or a horizontal one (label 1) at a
  /// random place, in noise; `flat` writes [N, 36] instead of [N, 1, 6, 6].
  static func writeBarMaps(_ path: String, count: Int, seed: UInt64, flat: Bool = false) throws {
    var rng = RandomStream(seed: seed)
    var values = [Float](repeating: 0, count: count * 36)
    for n in 0..<count {
      let at = Int(rng.nextFloat() * 6) % 6
      for i in 0..<36 {
        values[n * 36 + i] = 0.3 * rng.nextNormal() + ((n % 2 == 0 ? i % 6 : i / 6) == at ? 2 : 0)
      }
    }
    try writeFeatures(
      path, shape: flat ? [count, 36] : [count, 1, 6, 6], values,
      labels: (0..<count).map { $0 % 2 }, names: ["vertical", "horizontal"])
  }

  @Test func classifyFitsACNNOnFeatureMapsAndItsModelIsAppliedLikeAnyOther() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (train, test, flat) = (dir.file("train.h5"), dir.file("test.h5"), dir.file("flat.h5"))
    try Self.writeBarMaps(train, count: 120, seed: 1)
    try Self.writeBarMaps(test, count: 40, seed: 2)
    try Self.writeBarMaps(flat, count: 40, seed: 2, flat: true)
    let config = dir.file("net.yaml")
    try """
    seed: 3
    training: {epochs: 8, batch_size: 10, learning_rate: 0.05}
    layers:
      - {kind: conv, filters: 4, kernel: 3}
      - {kind: relu}
      - {kind: maxpool, size: 2}
      - {kind: dense, outputs: 2}
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let out = dir.file("result.h5")
    let r = try CLITests.cdbn(
      [
        "classify", "--classifier", "cnn", "--cnn-config", config, "--train", train, "--test",
        test, "--out", out,
      ], in: dir)
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(r.stderr.contains("cnn: examples of [1, 6, 6]") && r.stderr.contains("cnn epoch 8/8"))
    let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("error ") })
    let error = try #require(Double(line.dropFirst(6).prefix { $0 != "%" }))
    // Chance is 50 %; the network gets 12.5 % from 120 noisy examples in 8 epochs.
    #expect(error <= 20, "\(r.stdout)")
    let file = try HDF5File(path: out, mode: .readOnly)
    let model = try file.root.openGroup("model")
    #expect(try model.stringAttribute("kind") == "cnn" && model.isGroup("network"))
    #expect(try file.root.stringAttribute("classifier") == "cnn")
    file.close()
    // The saved CNN goes through classify --model and predict as the SVMs do.
    let again = try CLITests.cdbn(["classify", "--model", out, "--test", test], in: dir)
    #expect(again.status == 0 && again.stdout.contains(line), "\(CLITests.describe(again))")
    let predictions = dir.file("p.h5")
    let p = try CLITests.cdbn(
      ["predict", "--model", out, "--data", test, "--out", predictions], in: dir)
    try #require(p.status == 0, "\(CLITests.describe(p))")
    let predicted = try HDF5File(path: predictions, mode: .readOnly)
    #expect(try predicted.root.readFloats("probabilities").shape == [40, 2])
    predicted.close()

    // --set overrides a key of the config, as train-cnn's does.
    let shorter = try CLITests.cdbn(
      [
        "classify", "--classifier", "cnn", "--cnn-config", config, "--set", "training.epochs=2",
        "--train", train, "--test", test,
      ], in: dir)
    #expect(
      shorter.status == 0 && shorter.stderr.contains("cnn epoch 2/2")
        && !shorter.stderr.contains("epoch 3/"), "\(CLITests.describe(shorter))")
    let setWithoutCNN = try CLITests.cdbn(
      ["classify", "--train", train, "--test", test, "--set", "training.epochs=2"], in: dir)
    #expect(
      setWithoutCNN.status == 2 && setWithoutCNN.stderr.contains("--set go with --classifier cnn"),
      "\(CLITests.describe(setWithoutCNN))")

    // Usage errors, then a network that cannot take flattened rows, named.
    for (extra, message) in [
      ([String](), "--cnn-config"), (["--cnn-config", config, "--c", "1"], "do not apply to cnn"),
    ] {
      let bad = try CLITests.cdbn(
        ["classify", "--classifier", "cnn", "--train", train, "--test", test] + extra, in: dir)
      #expect(bad.status == 2 && bad.stderr.contains(message), "\(CLITests.describe(bad))")
    }
    let wrongShape = try CLITests.cdbn(
      ["classify", "--classifier", "cnn", "--cnn-config", config, "--train", flat, "--test", flat],
      in: dir)
    #expect(
      wrongShape.status == 1 && wrongShape.stderr.contains(config)
        && wrongShape.stderr.contains("[1, 1, 36]"), "\(CLITests.describe(wrongShape))")
  }

  @Test func trainCNNStartsFromTheCDBNsFilters() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = dir.file("data.h5")
    try writeDataFile(data, syntheticImages(count: 8))
    let model = dir.file("cdbn.h5")
    let cdbn = try writeHandMadeModel(to: model)
    let config = dir.file("cnn.yaml")
    // A learning rate so small that one epoch leaves the copied filters as they were.
    try Self.cnnConfig.replacingOccurrences(
      of: "learning_rate: 0.05", with: "learning_rate: 1.0e-20"
    )
    .write(toFile: config, atomically: true, encoding: .utf8)
    let out = dir.file("cnn.h5")
    let r = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", out, "--init", model, "--epochs", "1"], in: dir
    )
    try #require(r.status == 0, "\(CLITests.describe(r))")
    #expect(r.stderr.contains("initialised 1 conv layer(s)"), "\(r.stderr)")
    let weights = try Self.networkWeights(out)
    let rbm = try #require(cdbn.layers[0] as? ConvRBM)
    #expect(maxDifference(weights[0], rbm.weights.scalars) < 1e-12)
    #expect(maxDifference(weights[1], rbm.hiddenBias) < 1e-12)

    // Filters of the wrong shape are a typed error naming the CDBN file.
    try Self.cnnConfig.replacingOccurrences(of: "kernel: 3", with: "kernel: 5")
      .write(toFile: config, atomically: true, encoding: .utf8)
    let bad = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", dir.file("bad.h5"), "--init", model], in: dir)
    #expect(bad.status != 0 && bad.stderr.contains(model), "\(CLITests.describe(bad))")
    #expect(!fileExists(dir.file("bad.h5")))
  }

  /// `freeze_init_epochs: 2`: the copied layer stays exactly as the CDBN had it for two epochs
  /// while the dense layer learns, then fine-tuning moves it; a resume keeps the freeze.
  @Test func trainCNNFreezesCopiedFiltersForTheFirstEpochs() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = dir.file("data.h5")
    try writeDataFile(data, syntheticImages(count: 16))
    let model = dir.file("cdbn.h5")
    let cdbn = try writeHandMadeModel(to: model)
    let rbm = try #require(cdbn.layers[0] as? ConvRBM)
    let config = dir.file("cnn.yaml")
    try Self.cnnConfig.replacingOccurrences(of: "max_shift: 1", with: "freeze_init_epochs: 2")
      .write(toFile: config, atomically: true, encoding: .utf8)
    let out = dir.file("cnn.h5")
    let first = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", out, "--init", model, "--epochs", "2"], in: dir
    )
    try #require(first.status == 0, "\(CLITests.describe(first))")
    let frozen = try Self.networkWeights(out)
    #expect(frozen[0] == rbm.weights.scalars && frozen[1] == rbm.hiddenBias)
    let dense = frozen[2]
    let resumed = try CLITests.cdbn(
      ["train-cnn", config, "--data", data, "--out", out, "--init", model, "--resume"], in: dir)
    try #require(resumed.status == 0, "\(CLITests.describe(resumed))")
    let tuned = try Self.networkWeights(out)
    #expect(tuned[0] != rbm.weights.scalars, "epoch 3 fine-tunes the copied filters")
    #expect(tuned[2] != dense)
  }

  @Test func badCNNConfigsAreTypedErrors() throws {
    let cases = [
      ("layers: [{kind: conv, filters: 4}]", "kernel"),
      ("layers: [{kind: convolution, filters: 4, kernel: 3}]", "unknown layer kind"),
      ("training: {epochs: 2, learning_rate: -1}\nlayers: [{kind: dense, outputs: 3}]", "learning"),
      ("training: {epoch: 2}\nlayers: [{kind: dense, outputs: 3}]", "unknown key"),
      ("seed: 1", "layers"),
      (
        "input: {size: [8, 8], crop: [4, 4]}\nlayers: [{kind: dense, outputs: 3}]",
        "give one of size and crop"
      ),
      ("input: {longest_side: 8}\nlayers: [{kind: dense, outputs: 3}]", "unknown key"),
    ]
    for (yaml, says) in cases {
      let text = thrownDescription { _ = try CNNConfig(yaml: yaml, file: "cnn.yaml") }
      #expect(text.contains("cnn.yaml") && text.contains(says), "\(yaml): \(text)")
    }
  }

  @Test func trainCNNSizesPicturesAsItsConfigSaysAndClassifyAndPredictRepeatIt() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // Two classes of pictures of three sizes: bright and dark.
    let folder = dir.file("pictures")
    for (i, (h, w)) in [(10, 12), (14, 9), (11, 11), (9, 13)].enumerated() {
      for (name, level) in [("bright", 220), ("dark", 30)] {
        try FileManager.default.createDirectory(
          atPath: folder + "/" + name, withIntermediateDirectories: true)
        try PNGWriter.write(
          gray: (0..<(h * w)).map { UInt8(level + ($0 * 7 + i) % 20) }, width: w, height: h,
          to: folder + "/\(name)/\(i).png")
      }
    }
    let config = dir.file("cnn.yaml")
    try Self.cnnConfig.replacingOccurrences(of: "outputs: 3", with: "outputs: 2")
      .write(toFile: config, atomically: true, encoding: .utf8)
    let cnn = dir.file("cnn.h5")
    // Without a size, pictures of several sizes cannot make a batch.
    let unsized = try CLITests.cdbn(["train-cnn", config, "--data", folder, "--out", cnn], in: dir)
    #expect(
      unsized.status == 1 && unsized.stderr.contains("one size"), "\(CLITests.describe(unsized))")
    let trained = try CLITests.cdbn(
      [
        "train-cnn", config, "--data", folder, "--out", cnn, "--set", "input.size=[8, 8]",
        "--set", "training.epochs=2",
      ], in: dir)
    try #require(trained.status == 0, "\(CLITests.describe(trained))")
    #expect(trained.stderr.contains("epoch 2/2"), "\(trained.stderr)")
    let file = try HDF5File(path: cnn, mode: .readOnly)
    #expect(try file.root.stringAttribute("config").contains("size"))
    file.close()
    let classified = try CLITests.cdbn(
      ["classify", "--classifier", "cnn", "--model", cnn, "--test", folder], in: dir)
    #expect(classified.status == 0, "\(CLITests.describe(classified))")
    let predicted = try CLITests.cdbn(
      ["predict", "--model", cnn, "--data", folder, "--out", dir.file("p.h5")], in: dir)
    #expect(predicted.status == 0, "\(CLITests.describe(predicted))")
  }
}
