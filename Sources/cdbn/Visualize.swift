import ArgumentParser
import CDBNPipeline

struct Visualize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw a layer's bases as a PNG (higher layers projected into the input space).")

  @Option(help: "Model file.")
  var model: String

  @Option(help: "Layer to draw, 1 = first.")
  var layer = 1

  @Option(help: "PNG file to write.")
  var out: String

  @Option(help: "Pixels per basis element.")
  var zoom = 3

  @Flag(help: "Replace an existing --out file.")
  var force = false

  func run() throws {
    guard zoom >= 1, zoom <= 64 else { throw ValidationError("--zoom must be in 1...64") }
    try OutputFile.check(out, force: force)
    let checkpoint = try ModelCheckpoint.read(from: model)
    do {
      try BasisPictures.write(model: checkpoint.model, depth: layer, to: out, zoom: zoom)
    } catch let e as PipelineError {
      throw e
    } catch {
      throw PipelineError(model, "\(error)")
    }
    print("wrote \(out): layer \(layer) bases of \(model)")
  }
}
