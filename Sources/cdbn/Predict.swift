import ArgumentParser
import CDBNPipeline
import Foundation

struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Apply a saved classifier or CNN to new data, labelled or not.",
    discussion: """
      With a classifier saved by `cdbn classify --out`, DATA is a feature file (`cdbn features`); \
      with a CNN from `cdbn train-cnn`, DATA is examples as train-cnn reads them. Writes the \
      predictions, each class's score and, for softmax and CNNs, probabilities. When DATA has \
      labels, they are matched to the model's classes by name and scored too.
      """)

  @Option(help: "A classifier (cdbn classify --out) or a CNN (cdbn train-cnn).")
  var model: String

  @Option(help: "Feature file (for a classifier) or examples (for a CNN).")
  var data: String

  @Option(help: ArgumentHelp("Predict only these rows of DATA.", valueName: "A:B"))
  var rows: RowRange?

  @Option(help: "Output file: predictions, scores, probabilities.")
  var out: String

  @Flag(help: "Replace an existing --out file.")
  var force = false

  @Flag(
    help: "Refuse labelled classes the model was not trained on (default: count them as errors).")
  var strict = false

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    try OutputFile.check(out, force: force)
    let reporter = ProgressReporter()
    let result = try Prediction.run(
      modelPath: model, dataPath: data, rows: rows?.range, outputPath: out, strict: strict,
      reporter: reporter)
    if let report = result.report { print(report.rendered()) }
    reporter.log("wrote \(out): \(result.predictions.count) predictions")
  }
}
