import ArgumentParser
import CDBNPipeline

struct Features: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write one layer's features (pooling-unit probabilities) of a data set to HDF5.")

  @Option(help: "Model file written by cdbn pretrain (or any file with the same /layers schema).")
  var model: String

  @Option(help: "Layer whose features to write, 1 = first.")
  var layer: Int

  @Option(help: "Images folder, HDF5 file with /data [N, C, H, W], MNIST IDX file, or MNIST CSV.")
  var data: String

  @Option(help: "Feature file to write.")
  var out: String

  @Flag(help: "Write /features as [N, D] instead of [N, K, H, W].")
  var flatten = false

  @Flag(help: "Read images in colour (three channels) instead of grey.")
  var color = false

  @Option(help: "Examples per batch.")
  var batchSize = 64

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    guard batchSize >= 1, batchSize <= 1_000_000 else {
      throw ValidationError("--batch-size must be in 1...1000000")
    }
    var extractor = try FeatureExtractor(modelPath: model, depth: layer)
    extractor.flatten = flatten
    extractor.batchSize = batchSize
    let reporter = ProgressReporter()
    let shape = try extractor.run(
      dataPath: data, grayscale: !color, outputPath: out, reporter: reporter)
    reporter.log(
      "wrote \(out): layer \(layer) features, \(shape.map(String.init).joined(separator: "×")) per example"
    )
  }
}
