import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

/// The cdbn executable end to end. It must have been built (`swift build`, or `make test`, whose
/// `swift build --build-tests` builds the executable too).
@Suite struct CLITests {
  static func executable() throws -> String {
    try #require(
      cdbnExecutable(),
      "cdbn executable not found next to the test bundle or at \(packageRoot().path)/.build/debug/cdbn: run `swift build` first"
    )
  }

  static func cdbn(_ arguments: [String], in directory: TemporaryDirectory) throws -> ProcessResult
  {
    try runProcess(try executable(), arguments, workingDirectory: directory.path)
  }

  static func describe(_ r: ProcessResult) -> String {
    "exit \(r.status)\nstdout: \(r.stdout)\nstderr: \(r.stderr)"
  }

  @Test func pretrainFeaturesInspectVisualize() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let dir = run.directory
    let model = dir.file("m.h5")

    let pretrain = try Self.cdbn(
      ["pretrain", run.configPath, "--out", model, "--seed", "3", "--threads", "2"], in: dir)
    try #require(pretrain.status == 0, "pretrain: \(Self.describe(pretrain))")
    #expect(fileExists(model))
    #expect(pretrain.stderr.contains("wrote \(model)"), "\(pretrain.stderr)")
    let checkpoint = try ModelCheckpoint.read(from: model)
    #expect(checkpoint.progress?.complete == true)
    #expect(checkpoint.progress?.seed == 3)  // --seed overrides the config's 7
    // The stored config is the one that ran: the file's, with the seed given.
    let stored = try PretrainingConfig(yaml: checkpoint.config, file: "stored")
    let given = try run.config()
    #expect(stored.seed == 3 && stored.layers.count == given.layers.count)

    // The same run in-process, and on one thread, gives the same weights.
    var config = try run.config()
    config.seed = 3
    let inProcess = try Pretrainer(
      config: config, output: dir.file("same.h5"), reporter: ProgressReporter(quiet: true)
    )
    .run()
    #expect(rbms(inProcess) == rbms(checkpoint))
    let oneThread = dir.file("one-thread.h5")
    let single = try Self.cdbn(
      ["pretrain", run.configPath, "--out", oneThread, "--seed", "3", "--threads", "1", "--quiet"],
      in: dir)
    try #require(single.status == 0, "pretrain --threads 1: \(Self.describe(single))")
    #expect(single.stderr.isEmpty, "--quiet printed: \(single.stderr)")
    #expect(rbms(try ModelCheckpoint.read(from: oneThread)) == rbms(checkpoint))

    let featuresPath = dir.file("f.h5")
    let features = try Self.cdbn(
      [
        "features", "--model", model, "--layer", "2", "--data", run.dataPath, "--out", featuresPath,
        "--threads", "2",
      ],
      in: dir)
    try #require(features.status == 0, "features: \(Self.describe(features))")
    let file = try HDF5File(path: featuresPath, mode: .readOnly)
    let f = try file.root.readFloats("features")
    #expect(f.shape.count == 4)
    // 12×12 → 10×10 → 5×5 → 3×3 → pooled 2×2 (ceil), 4 groups.
    #expect(f.shape == [16, 4, 2, 2])
    #expect(try file.root.readInts("labels").values == expectedLabels(16))
    #expect(try file.root.readStrings("ids") == expectedIDs(16))
    #expect(try file.root.intAttribute("layer") == 2)
    let direct = try checkpoint.model.features(run.examples, depth: 2)
    #expect(maxDifference(f.values, direct.scalars) <= 1e-6)
    file.close()

    let inspect = try Self.cdbn(["inspect", model], in: dir)
    try #require(inspect.status == 0, "inspect: \(Self.describe(inspect))")
    #expect(inspect.stdout.contains("layer 1"), "\(inspect.stdout)")
    #expect(inspect.stdout.contains("layer 2"), "\(inspect.stdout)")
    #expect(inspect.stdout.contains("crbm"), "\(inspect.stdout)")
    #expect(inspect.stdout.contains("training: complete"), "\(inspect.stdout)")
    #expect(inspect.stdout.contains("unit-variance"), "\(inspect.stdout)")

    let png = dir.file("b.png")
    let visualize = try Self.cdbn(
      ["visualize", "--model", model, "--layer", "2", "--out", png], in: dir)
    try #require(visualize.status == 0, "visualize: \(Self.describe(visualize))")
    #expect(Array(try bytes(png).prefix(8)) == pngMagic)
  }

  /// Three layers: the two binary layers above the first take σ from their input (and say so),
  /// inspect reports each layer's health, and layer 3's bases are drawn in pixels.
  @Test func threeLayersPretrainInspectAndDrawLayerThree() throws {
    let run = try TinyRun { data in
      tinyConfigText(dataPath: data)
        + """

          - kind: crbm
            filters: 3
            filter: [1, 1]
            pooling: 1
            learning_rate: 0.05
            epochs: 2
        """
    }
    defer { run.directory.remove() }
    let dir = run.directory
    let model = dir.file("m.h5")
    let pretrain = try Self.cdbn(["pretrain", run.configPath, "--out", model], in: dir)
    try #require(pretrain.status == 0, "pretrain: \(Self.describe(pretrain))")
    for l in [2, 3] {
      #expect(pretrain.stderr.contains("layer \(l): input mean"), "\(pretrain.stderr)")
    }
    let rbms = try ModelCheckpoint.read(from: model).model.layers.map { $0 as! ConvRBM }
    #expect(rbms.count == 3 && rbms[1].sigma < 1 && rbms[2].sigma < 1, "\(rbms.map(\.sigma))")

    let inspect = try Self.cdbn(["inspect", model], in: dir)
    try #require(inspect.status == 0, "inspect: \(Self.describe(inspect))")
    let health = inspect.stdout.split(separator: "\n").filter {
      $0.contains("health: filters mean |cos|")
    }
    #expect(health.count == 3, "\(inspect.stdout)")
    #expect(inspect.stdout.contains("(target 0.050)"), "\(inspect.stdout)")

    let png = dir.file("l3.png")
    let visualize = try Self.cdbn(
      ["visualize", "--model", model, "--layer", "3", "--out", png], in: dir)
    try #require(visualize.status == 0, "visualize: \(Self.describe(visualize))")
    #expect(Array(try bytes(png).prefix(8)) == pngMagic)

    // Training curves: a row of three panels per layer.
    let curves = dir.file("curves.png")
    let plot = try Self.cdbn(["plot", "--model", model, "--out", curves], in: dir)
    try #require(plot.status == 0, "plot: \(Self.describe(plot))")
    let header = Array(try bytes(curves).prefix(24))
    #expect(Array(header.prefix(8)) == pngMagic)
    func be32(_ i: Int) -> Int { header[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
    #expect(be32(16) == 3 * (300 + 68) && be32(20) == 3 * (150 + 68))
    // A model made by hand has no curves to draw.
    let empty = dir.file("empty.h5")
    _ = try writeHandMadeModel(to: empty)
    let nothing = try Self.cdbn(["plot", "--model", empty, "--out", dir.file("x.png")], in: dir)
    #expect(
      nothing.status != 0 && nothing.stderr.contains("no training history"),
      "\(Self.describe(nothing))")
    #expect(!fileExists(dir.file("x.png")))
  }

  /// features, visualize, plot and pretrain refuse to replace an existing output unless --force.
  @Test func everyWriterRefusesAnExistingOutputUnlessForced() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let dir = run.directory
    let model = dir.file("m.h5")
    let first = try Self.cdbn(["pretrain", run.configPath, "--out", model, "--quiet"], in: dir)
    try #require(first.status == 0, "\(Self.describe(first))")
    let kept = try bytes(model)
    let commands: [[String]] = [
      ["features", "--model", model, "--layer", "1", "--data", run.dataPath, "--out"],
      ["visualize", "--model", model, "--layer", "2", "--out"],
      ["plot", "--model", model, "--out"],
    ]
    for (i, command) in commands.enumerated() {
      let out = dir.file("out-\(i)")
      try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
      let refused = try Self.cdbn(command + [out], in: dir)
      #expect(
        refused.status != 0 && refused.stderr.contains("--force"), "\(Self.describe(refused))")
      #expect(try bytes(out) == Data("keep".utf8), "\(command[0]) wrote over \(out)")
      let forced = try Self.cdbn(command + [out, "--force"], in: dir)
      #expect(forced.status == 0, "\(Self.describe(forced))")
    }
    // inspect describes a feature file too.
    let features = try Self.cdbn(["inspect", dir.file("out-0")], in: dir)
    #expect(features.stdout.contains("features, 16 × 4 × 5 × 5 float32"), "\(features.stdout)")
    #expect(features.stdout.contains("columns: 1 (100)"), "\(features.stdout)")
    let again = try Self.cdbn(["pretrain", run.configPath, "--out", model, "--quiet"], in: dir)
    #expect(again.status != 0 && again.stderr.contains("--force"), "\(Self.describe(again))")
    #expect(try bytes(model) == kept)
    let over = try Self.cdbn(
      ["pretrain", run.configPath, "--out", model, "--quiet", "--force", "--seed", "9"], in: dir)
    #expect(over.status == 0, "\(Self.describe(over))")
    #expect(try ModelCheckpoint.read(from: model).progress?.seed == 9)
  }

  @Test func failuresExitNonZeroNamingTheFile() throws {
    let run = try TinyRun()
    defer { run.directory.remove() }
    let dir = run.directory
    let model = dir.file("m.h5")
    let pretrain = try Self.cdbn(["pretrain", run.configPath, "--out", model, "--quiet"], in: dir)
    try #require(pretrain.status == 0, "pretrain: \(Self.describe(pretrain))")

    // A missing model.
    let missing = dir.file("missing.h5")
    let out = dir.file("f.h5")
    let features = try Self.cdbn(
      ["features", "--model", missing, "--layer", "1", "--data", run.dataPath, "--out", out],
      in: dir)
    #expect(features.status != 0)
    #expect(features.stderr.contains(missing), "\(Self.describe(features))")
    #expect(!fileExists(out))

    // A layer the model does not have.
    let layer3 = try Self.cdbn(
      ["features", "--model", model, "--layer", "3", "--data", run.dataPath, "--out", out], in: dir)
    #expect(layer3.status != 0)
    #expect(layer3.stderr.contains(model), "\(Self.describe(layer3))")
    #expect(!fileExists(out))

    // A config with a syntax error.
    let bad = dir.file("bad.yaml")
    try "data:\n  path: [unclosed\nlayers:\n  - {filters: 4\n".write(
      toFile: bad, atomically: true, encoding: .utf8)
    let badOut = dir.file("bad-model.h5")
    let badRun = try Self.cdbn(["pretrain", bad, "--out", badOut], in: dir)
    #expect(badRun.status != 0)
    #expect(badRun.stderr.contains(bad), "\(Self.describe(badRun))")
    #expect(!fileExists(badOut))

    // A config that does not exist.
    let noConfig = dir.file("no-such.yaml")
    let noConfigRun = try Self.cdbn(["pretrain", noConfig, "--out", badOut], in: dir)
    #expect(noConfigRun.status != 0)
    #expect(noConfigRun.stderr.contains(noConfig), "\(Self.describe(noConfigRun))")

    // Pretraining again into an existing model without --resume.
    let before = try bytes(model)
    let again = try Self.cdbn(["pretrain", run.configPath, "--out", model], in: dir)
    #expect(again.status != 0)
    #expect(again.stderr.contains(model), "\(Self.describe(again))")
    #expect(again.stderr.contains("--resume"), "\(Self.describe(again))")
    #expect(try bytes(model) == before)

    // With --resume the complete run is left as it is.
    let resumed = try Self.cdbn(["pretrain", run.configPath, "--out", model, "--resume"], in: dir)
    #expect(resumed.status == 0, "\(Self.describe(resumed))")
    #expect(try bytes(model) == before)

    // A text file as the model of inspect and visualize.
    let text = dir.file("notes.txt")
    try "not a model\n".write(toFile: text, atomically: true, encoding: .utf8)
    let inspect = try Self.cdbn(["inspect", text], in: dir)
    #expect(inspect.status != 0)
    #expect(inspect.stderr.contains(text), "\(Self.describe(inspect))")
    let png = dir.file("b.png")
    let visualize = try Self.cdbn(["visualize", "--model", text, "--out", png], in: dir)
    #expect(visualize.status != 0)
    #expect(visualize.stderr.contains(text), "\(Self.describe(visualize))")
    #expect(!fileExists(png))

    // Bad option values.
    let threads = try Self.cdbn(
      ["pretrain", run.configPath, "--out", dir.file("t.h5"), "--threads", "0"], in: dir)
    #expect(threads.status != 0)
    #expect(threads.stderr.contains("--threads"), "\(Self.describe(threads))")
    // A usage error found by the subcommand shows the subcommand's usage, not the top level's.
    #expect(threads.stderr.contains("Usage: cdbn pretrain"), "\(Self.describe(threads))")
    // Exit codes: 2 for usage errors (found by the parser or by the subcommand), 1 for run-time
    // errors, 0 for --help.
    #expect(threads.status == 2, "\(Self.describe(threads))")
    let unknown = try Self.cdbn(["features", "--no-such-option"], in: dir)
    #expect(unknown.status == 2, "\(Self.describe(unknown))")
    let noCommand = try Self.cdbn(["frobnicate"], in: dir)
    #expect(noCommand.status == 2, "\(Self.describe(noCommand))")
    #expect(inspect.status == 1, "\(Self.describe(inspect))")
    let help = try Self.cdbn(["features", "--help"], in: dir)
    #expect(help.status == 0 && help.stdout.contains("--pyramid"), "\(Self.describe(help))")
  }

  /// `--resume` with nothing saved yet starts over, and says so with the seed it uses.
  @Test func resumingBeforeTheFirstCheckpointSaysItStartsOver() throws {
    let run = try TinyRun()
    let dir = run.directory
    defer { dir.remove() }
    let model = dir.file("never-saved.h5")
    let result = try Self.cdbn(
      ["pretrain", run.configPath, "--out", model, "--resume", "--seed", "11"], in: dir)
    #expect(result.status == 0, "\(Self.describe(result))")
    #expect(
      result.stderr.contains("holds no checkpoint yet") && result.stderr.contains("seed 11"),
      "\(Self.describe(result))")
    #expect(try ModelCheckpoint.read(from: model).progress?.seed == 11)
  }

  /// `--set` changes keys for one run, `--seed` too, and the model stores the config that ran, so
  /// `--resume` without a config continues it; a bad override names the key.
  @Test func overridesAreStoredAndResumeUsesTheStoredConfig() throws {
    let run = try TinyRun()
    let dir = run.directory
    defer { dir.remove() }
    let model = dir.file("m.h5")
    let r = try Self.cdbn(
      [
        "pretrain", run.configPath, "--out", model, "--quiet", "--seed", "7", "--set",
        "layers.1.epochs=1", "--set", "layers.0.filters=3",
      ], in: dir)
    #expect(r.status == 0, "\(Self.describe(r))")
    let saved = try ModelCheckpoint.read(from: model)
    #expect(saved.progress?.seed == 7 && saved.history.map(\.epochs) == [2, 1])
    #expect(saved.model.layers[0].outputChannels == 3)
    let stored = try PretrainingConfig(yaml: saved.config, file: "stored")
    #expect(
      stored.seed == 7 && stored.layers[0].filters == 3 && stored.layers[1].schedule.epochs == 1)

    let resumed = try Self.cdbn(["pretrain", "--out", model, "--resume"], in: dir)
    #expect(resumed.status == 0, "\(Self.describe(resumed))")
    #expect(resumed.stderr.contains("training already complete"), "\(Self.describe(resumed))")
    let changed = try Self.cdbn(
      ["pretrain", "--out", model, "--resume", "--set", "layers.0.learning_rate=0.5"], in: dir)
    #expect(changed.status != 0 && changed.stderr.contains("keys other than epochs differ"))

    for (bad, message) in [
      ("layers.7.filters=3", "is not an index of a list of 2"),
      ("layers.0.filterz=3", "unknown key \"layers[0].filterz\""),
      ("training.epochs", "expected key.path=value"),
    ] {
      let out = dir.file("bad.h5")
      let b = try Self.cdbn(["pretrain", run.configPath, "--out", out, "--set", bad], in: dir)
      #expect(b.status != 0 && b.stderr.contains(message), "\(bad): \(Self.describe(b))")
      #expect(!fileExists(out))
    }
  }

  /// A finished run continued with more epochs of its last layer, or with a layer added, ends
  /// `==` to a run configured that way from the start; changing a finished layer is refused.
  @Test func resumeExtendsEpochsAndAddsLayers() throws {
    let run = try TinyRun()
    let dir = run.directory
    defer { dir.remove() }
    let whole = dir.file("whole.h5")
    let r = try Self.cdbn(["pretrain", run.configPath, "--out", whole, "--quiet"], in: dir)
    try #require(r.status == 0, "\(Self.describe(r))")
    let expected = try ModelCheckpoint.read(from: whole)

    func same(_ path: String) throws {
      let got = try ModelCheckpoint.read(from: path)
      #expect(got.model.layers.map(\.filters) == expected.model.layers.map(\.filters), "\(path)")
      #expect(got.history.map(\.reconstructionError) == expected.history.map(\.reconstructionError))
      #expect(got.progress?.complete == true && got.progress?.step == expected.progress?.step)
    }

    // More epochs for the last layer after the run finished.
    let longer = dir.file("longer.h5")
    let short = try Self.cdbn(
      ["pretrain", run.configPath, "--out", longer, "--quiet", "--set", "layers.1.epochs=1"],
      in: dir)
    try #require(short.status == 0, "\(Self.describe(short))")
    let extended = try Self.cdbn(
      ["pretrain", "--out", longer, "--resume", "--set", "layers.1.epochs=3"], in: dir)
    #expect(extended.status == 0, "\(Self.describe(extended))")
    #expect(extended.stderr.contains("continuing with the new config"), "\(extended.stderr)")
    try same(longer)

    // A layer added to a finished one-layer run.
    let oneLayer = try dir.write(
      "one.yaml",
      text: String(try #require(run.configText.components(separatedBy: "\n  - kind:").first)) + "\n"
        + "  - kind:" + run.configText.components(separatedBy: "\n  - kind:")[1])
    let grown = dir.file("grown.h5")
    let first = try Self.cdbn(["pretrain", oneLayer, "--out", grown, "--quiet"], in: dir)
    try #require(first.status == 0, "\(Self.describe(first))")
    let added = try Self.cdbn(["pretrain", run.configPath, "--out", grown, "--resume"], in: dir)
    #expect(added.status == 0, "\(Self.describe(added))")
    try same(grown)

    // The same config written differently (a value set to what it was) leaves a finished run as it is.
    let before = try bytes(whole)
    let same = try Self.cdbn(
      ["pretrain", "--out", whole, "--resume", "--set", "layers.0.filters=4"], in: dir)
    #expect(same.status == 0 && same.stderr.contains("training already complete"), "\(same.stderr)")
    #expect(try bytes(whole) == before)

    // A finished layer under a trained one cannot change.
    let refused = try Self.cdbn(
      ["pretrain", "--out", whole, "--resume", "--set", "layers.0.epochs=5"], in: dir)
    #expect(refused.status != 0 && refused.stderr.contains("layer 1 is done"), "\(refused.stderr)")
  }

  /// Pictures of different sizes: refused as they are, brought to one size by `--size` or `--crop`
  /// (`data.size` / `data.crop` in pretraining, which `features` then repeats).
  @Test func picturesOfDifferentSizesAreResizedOrCropped() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let folder = dir.file("pictures")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var rng = RandomStream(seed: 3)
    for (i, (h, w)) in [(20, 24), (31, 17), (16, 16)].enumerated() {
      let pixels = (0..<(h * w)).map { _ in UInt8(rng.nextInt(below: 256)) }
      try PNGWriter.write(gray: pixels, width: w, height: h, to: "\(folder)/p\(i).png")
    }
    let config = try dir.write(
      "pictures.yaml",
      text: """
        seed: 1
        data: {path: \(folder), size: [14, 12]}
        training: {batch_size: 3, epochs: 1}
        layers:
          - {kind: crbm, visible: gaussian, filters: 2, filter: 3, pooling: 2}
        """)
    let model = dir.file("m.h5")
    let pretrain = try Self.cdbn(["pretrain", config, "--out", model, "--quiet"], in: dir)
    try #require(pretrain.status == 0, "\(Self.describe(pretrain))")

    func features(_ extra: [String], _ out: String) throws -> ProcessResult {
      try Self.cdbn(
        ["features", "--model", model, "--layer", "1", "--data", folder, "--out", dir.file(out)]
          + extra, in: dir)
    }
    // The model's data.size is repeated: 14×12 pictures give 2×6×5 features.
    let repeated = try features([], "a.h5")
    #expect(repeated.status == 0, "\(Self.describe(repeated))")
    #expect(
      repeated.stderr.contains("pretrained with data.size: --size 14,12"), "\(repeated.stderr)")
    #expect(repeated.stderr.contains("2×6×5 per example"), "\(repeated.stderr)")
    let cropped = try features(["--crop", "16,16"], "b.h5")
    #expect(
      cropped.status == 0 && cropped.stderr.contains("2×7×7 per example"),
      "\(Self.describe(cropped))")
    let tooBig = try features(["--crop", "18,18"], "c.h5")
    #expect(tooBig.status != 0 && tooBig.stderr.contains("p1.png"), "\(Self.describe(tooBig))")
    #expect(!fileExists(dir.file("c.h5")))

    // data.crop is repeated the same way.
    let croppedModel = dir.file("crop.h5")
    let r = try Self.cdbn(
      [
        "pretrain", config, "--out", croppedModel, "--quiet", "--set", "data.size=null", "--set",
        "data.crop=[16, 16]",
      ], in: dir)
    try #require(r.status == 0, "\(Self.describe(r))")
    let repeatedCrop = try Self.cdbn(
      [
        "features", "--model", croppedModel, "--layer", "1", "--data", folder, "--out",
        dir.file("d.h5"),
      ],
      in: dir)
    #expect(repeatedCrop.stderr.contains("--crop 16,16") && repeatedCrop.stderr.contains("2×7×7"))

    // A model pretrained on data of one size: the folder as it is is refused, naming the options.
    let tiny = try TinyRun()
    defer { tiny.directory.remove() }
    let tinyModel = dir.file("tiny.h5")
    let t = try Self.cdbn(["pretrain", tiny.configPath, "--out", tinyModel, "--quiet"], in: dir)
    try #require(t.status == 0, "\(Self.describe(t))")
    let refused = try Self.cdbn(
      [
        "features", "--model", tinyModel, "--layer", "1", "--data", folder, "--out",
        dir.file("e.h5"),
      ],
      in: dir)
    #expect(
      refused.status != 0 && refused.stderr.contains("--size H,W"), "\(Self.describe(refused))")
  }
}
