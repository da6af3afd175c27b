import ArgumentParser
import CDBNDatasets
import CDBNNumerics
import CDBNPipeline
import Foundation

struct Features: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write one layer's features (pooling-unit probabilities) of a data set to HDF5.",
    discussion: """
      With a model pretrained on audio, --data is a TIMIT folder or a path,label[,speaker] CSV; \
      --layer also takes mfcc (13 cepstra + Δ + ΔΔ), as in 1,mfcc; --summary frames writes every \
      frame of every utterance, utterance one row per utterance (channel means and maxima over \
      time), phones one row per TIMIT phone segment (means over its thirds and log duration).
      """)

  @Option(help: "Model file written by cdbn pretrain (or any file with the same /layers schema).")
  var model: String

  @Option(
    help: ArgumentHelp(
      "Layer whose features to write, 1 = first, 0 = the preprocessed input; several, like 1,2, are flattened and joined (audio: also mfcc).",
      valueName: "layers"))
  var layer: String

  @Option(
    help:
      "Images folder, HDF5 file with /data [N, C, H, W], MNIST IDX file, or MNIST CSV; for an audio model a TIMIT folder or audio CSV."
  )
  var data: String

  @Option(help: "Feature file to write.")
  var out: String

  @Flag(help: "Replace an existing --out file.")
  var force = false

  @Flag(help: "Write /features as [N, D] instead of [N, K, H, W].")
  var flatten = false

  @Flag(help: "Read images in colour (three channels) instead of grey.")
  var color = false

  @Option(
    help: ArgumentHelp(
      "Pictures: resize each to H×W (bilinear). Default: the model's data.size, if it was pretrained with one.",
      valueName: "H,W"))
  var size: PictureSize?

  @Option(
    help: ArgumentHelp(
      "Pictures: cut the central H×W of each. Default: the model's data.crop, if it was pretrained with one.",
      valueName: "H,W"))
  var crop: PictureSize?

  @Option(
    help: ArgumentHelp(
      "Pictures: scale each so its longer side is N pixels, keeping its shape (Caltech-101: 150); pictures then differ in size and need --pyramid. Default: the model's data.longest_side.",
      valueName: "N"))
  var longestSide: Int?

  @Option(
    help: ArgumentHelp(
      "Pool each layer's maps over a spatial pyramid of these grids (1,2,4: 1×1, 2×2 and 4×4 cells) into a fixed-length row, so pictures may differ in size.",
      valueName: "grids"))
  var pyramid: String?

  @Option(help: "Pyramid cells take the max or the mean of the maps.")
  var pyramidPooling: SpatialPyramid.Pooling = .max

  @Option(help: "Examples per batch.")
  var batchSize = 64

  @Option(help: "Audio: frames, utterance or phones (default frames).")
  var summary: String?

  @Option(help: "Audio: label written per row: speaker, gender, phone or label (the CSV's).")
  var label: String?

  @Option(help: "Audio, TIMIT: all, train, test, core-test or development.")
  var subset: String?

  @Option(help: "Audio: only these speakers, comma-separated (FVMH0,MCPM0).")
  var speakers: String?

  @Flag(help: "Audio, TIMIT: leave out the SA sentences.")
  var excludeSa = false

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    Interruption.install()
    guard batchSize >= 1, batchSize <= 1_000_000 else {
      throw ValidationError("--batch-size must be in 1...1000000")
    }
    try OutputFile.check(out, force: force)
    guard let representations = FeatureRepresentation.list(layer) else {
      throw ValidationError(
        "--layer takes distinct layer numbers (and, for audio, mfcc), like 2, 1,2 or 1,mfcc, got \"\(layer)\""
      )
    }
    let checkpoint = try ModelCheckpoint.read(from: model)
    let world = try Launch.world(agreeingOn: [])
    if let frontEnd = checkpoint.audioFrontEnd {
      try runAudio(
        checkpoint, frontEnd: frontEnd, representations: representations, world: world)
      return
    }
    guard summary == nil, label == nil, subset == nil, speakers == nil, !excludeSa else {
      throw ValidationError(
        "--summary, --label, --subset, --speakers and --exclude-sa apply to models pretrained on audio; \(model) is not"
      )
    }
    var extractor = try FeatureExtractor(
      modelPath: model, checkpoint: checkpoint, representations: representations)
    extractor.flatten = flatten
    extractor.pyramid = try pyramid.map { text in
      let levels = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
      guard !levels.contains(nil),
        let grid = SpatialPyramid(levels: levels.compactMap { $0 }, pooling: pyramidPooling)
      else {
        throw ValidationError(
          "--pyramid takes distinct grid sizes in 1...64, like 1,2,4, got \"\(text)\"")
      }
      return grid
    }
    extractor.batchSize = batchSize
    extractor.processes = world
    let reporter = ProgressReporter(quiet: !world.isLeader)
    let sizing = try pictureSizing(model: checkpoint, reporter: reporter)
    let shape = try extractor.run(
      dataPath: data, grayscale: !color, sizing: sizing, outputPath: out, reporter: reporter)
    reporter.log(
      "wrote \(out): layer \(layer) features, \(shape.map(String.init).joined(separator: "×")) per example"
    )
  }
}

extension Features {
  /// `--size` or `--crop`; else the sizing the model was pretrained with (its stored config's
  /// data.size or data.crop), said in the log, so that features see pictures as training did.
  func pictureSizing(model checkpoint: ModelCheckpoint, reporter: ProgressReporter) throws
    -> ImageFolder.Sizing
  {
    if let longestSide {
      guard size == nil, crop == nil else {
        throw ValidationError("give one of --size, --crop and --longest-side")
      }
      guard (1...16384).contains(longestSide) else {
        throw ValidationError("--longest-side must be in 1...16384, got \(longestSide)")
      }
      return .longestSide(longestSide)
    }
    switch (size, crop) {
    case (.some, .some): throw ValidationError("give one of --size, --crop and --longest-side")
    case (let s?, nil): return .resize(width: s.width, height: s.height)
    case (nil, let c?): return .centerCrop(width: c.width, height: c.height)
    case (nil, nil):
      let stored =
        (try? PretrainingConfig(yaml: checkpoint.config, file: model))?.data.sizing ?? .original
      switch stored {
      case .original: break
      case .resize(let w, let h):
        reporter.log("\(model) was pretrained with data.size: --size \(h),\(w)")
      case .centerCrop(let w, let h):
        reporter.log("\(model) was pretrained with data.crop: --crop \(h),\(w)")
      case .longestSide(let side):
        reporter.log("\(model) was pretrained with data.longest_side: --longest-side \(side)")
      }
      return stored
    }
  }
}

extension SpatialPyramid.Pooling: ExpressibleByArgument {}
