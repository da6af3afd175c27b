import ArgumentParser
import CDBNPipeline
import Foundation

struct TrainCNN: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train-cnn",
    abstract: "Train a CNN on labelled examples, optionally starting from a CDBN's filters.",
    discussion: """
      The config (YAML) gives the layers and the SGD settings; see Experiments/mnist/cnn.yaml. \
      With --init, the first conv layers start from the CDBN's layer filters and hidden biases, and \
      the CDBN's preprocessing is applied to the data. A checkpoint is written after every epoch; \
      --resume continues it.
      """)

  @Argument(help: "CNN config (YAML).")
  var config: String

  @Option(
    help: "Labelled examples: MNIST IDX, MNIST CSV, image folder with class subfolders, or HDF5.")
  var data: String

  @Option(help: "Model file to write.")
  var out: String

  @Option(help: "CDBN model whose layer filters start the first conv layers.")
  var `init`: String?

  @Option(help: "Train on this many randomly chosen examples (keyed by --seed).")
  var trainLimit: Int?

  @Option(
    help: ArgumentHelp(
      "Train on only these rows of --data, like 0:50000 (the rest held out for validation).",
      valueName: "A:B"))
  var trainRows: RowRange?

  @Option(help: "Overrides the config's seed (initialisation, order, augmentation, subset).")
  var seed: UInt64?

  @Option(help: "Overrides the config's epoch count.")
  var epochs: Int?

  @OptionGroup var overrides: ConfigOverrideOptions

  @Flag(help: "Start over, replacing --out when the first epoch is saved.")
  var force = false

  @Flag(help: "Continue the run checkpointed in --out.")
  var resume = false

  @Flag(help: "Read images in colour (three channels) instead of grey.")
  var color = false

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    Interruption.install()
    var parsed = try CNNConfig(contentsOf: config, overrides: overrides.values)
    if let seed { parsed.seed = seed }
    if let epochs {
      guard epochs >= 1, epochs <= 100_000 else {
        throw ValidationError("--epochs must be in 1...100000")
      }
      parsed.epochs = epochs
    }
    if force && resume { throw ValidationError("give --resume or --force, not both") }
    if resume {
      guard FileManager.default.fileExists(atPath: out) else {
        throw ValidationError("--resume: \(out) does not exist")
      }
    } else {
      try OutputFile.check(out, force: force, alternative: "--resume to continue it")
    }
    var training = CNNTraining(config: parsed, dataPath: data, outputPath: out)
    training.initModelPath = self.`init`
    training.trainLimit = trainLimit
    training.trainRows = trainRows?.range
    training.grayscale = !color
    try training.run(resume: resume, reporter: ProgressReporter())
  }
}
