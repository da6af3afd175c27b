import ArgumentParser
import CDBNPipeline

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Describe a model file: layers, shapes, training state, history, config.")

  @Argument(help: "Model file.")
  var model: String

  func run() throws {
    print(ModelSummary.text(of: try ModelCheckpoint.read(from: model), path: model))
  }
}
