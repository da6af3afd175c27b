import ArgumentParser
import CDBNPipeline
import Foundation

struct Features: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write one layer's features (pooling-unit probabilities) of a data set to HDF5.")

  @Option(help: "Model file written by cdbn pretrain (or any file with the same /layers schema).")
  var model: String

  @Option(
    help: ArgumentHelp(
      "Layer whose features to write, 1 = first, 0 = the preprocessed input; several, like 1,2, are flattened and joined.",
      valueName: "layers"))
  var layer: String

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
    let depths = layer.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !depths.isEmpty, depths.allSatisfy({ $0 != nil }) else {
      throw ValidationError("--layer takes layer numbers like 2 or 1,2, got \"\(layer)\"")
    }
    var extractor = try FeatureExtractor(modelPath: model, depths: depths.map { $0! })
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
