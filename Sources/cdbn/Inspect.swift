import ArgumentParser
import CDBNPipeline

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Describe a file cdbn wrote: a model (layers, health, history, config), a CNN, features, a classification result or predictions."
  )

  @Argument(help: "A file written by cdbn.")
  var model: String

  func run() throws {
    print(try FileSummary.text(of: model))
  }
}
