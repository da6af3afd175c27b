import ArgumentParser
import CDBNPipeline

struct Plot: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Draw a model's training curves as a PNG: per layer, reconstruction error, mean activation against its target, and σ."
  )

  @Option(help: "Model file.")
  var model: String

  @Option(help: "PNG file to write.")
  var out: String

  @Flag(help: "Replace an existing --out file.")
  var force = false

  func run() throws {
    try OutputFile.check(out, force: force)
    let checkpoint = try ModelCheckpoint.read(from: model)
    try TrainingCurves.write(checkpoint, modelPath: model, to: out)
    print("wrote \(out): training curves of \(model)")
  }
}
