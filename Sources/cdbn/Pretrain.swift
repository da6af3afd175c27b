import ArgumentParser
import CDBNNumerics
import CDBNPipeline
import Foundation

struct Pretrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a convolutional DBN layer by layer, with a checkpoint after every epoch.",
    discussion:
      "Without CONFIG, trains cdbn's default two-layer model on the whitened natural photographs in Data/natural-images."
  )

  @Argument(
    help:
      "YAML config (see Experiments/ for examples). With --resume it may be left out: the config stored in --out is used."
  )
  var config: String?

  @Option(help: "Model file to write.")
  var out = "model.h5"

  @Flag(help: "Start over, replacing --out when the first epoch is saved.")
  var force = false

  @Flag(help: "Continue the run saved in --out.")
  var resume = false

  @Option(help: "Random seed (overrides the config's; stored in the model's config).")
  var seed: UInt64?

  @OptionGroup var overrides: ConfigOverrideOptions

  @Option(
    help:
      "With --resume: multiply every learning rate of the layers still to train (after a divergence)."
  )
  var learningRateScale: Float?

  @Flag(help: "Print only errors.")
  var quiet = false

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    Interruption.install()
    let (text, file) = try configText()
    let effective = try ConfigOverrides.apply(
      overrides.values + (seed.map { ["seed=\($0)"] } ?? []), to: text, file: file)
    let settings = try PretrainingConfig(
      yaml: effective, file: effective == text ? file : "\(file) with --set/--seed")
    let directory = (out as NSString).deletingLastPathComponent
    if !directory.isEmpty {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    if force && resume { throw ValidationError("give --resume or --force, not both") }
    let world = try Launch.world(agreeingOn: [settings.text])
    let reporter = ProgressReporter(quiet: quiet || !world.isLeader)
    let started = Date()
    let pretrainer = Pretrainer(config: settings, output: out, reporter: reporter)
    pretrainer.processes = world
    if let learningRateScale {
      guard resume else {
        throw ValidationError(
          "--learning-rate-scale goes with --resume; for a new run, edit the config")
      }
      guard learningRateScale > 0, learningRateScale.isFinite else {
        throw ValidationError("--learning-rate-scale must be positive")
      }
      pretrainer.learningRateScale = learningRateScale
    }
    let result = try pretrainer.run(resume: resume, replace: force)
    reporter.log(
      "wrote \(out): \(result.model.layers.count) layer(s) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
    )
  }

  /// The config's text and a name for it in errors: the CONFIG file; else, resuming, the config
  /// stored in --out; else the default run's.
  private func configText() throws -> (text: String, file: String) {
    if let config {
      do { return (try String(contentsOfFile: config, encoding: .utf8), config) } catch {
        throw PipelineError(config, "cannot be read: \(error.localizedDescription)")
      }
    }
    if resume && FileManager.default.fileExists(atPath: out) {
      return (try ModelCheckpoint.read(from: out).config, "\(out) (its stored config)")
    }
    let data = try DataLocator.find("natural-images")
    return (PretrainingConfig.defaultText(dataPath: data), "<default config>")
  }
}

/// Finds Data/<name> from the working directory or from the executable's location (…/.build/release/cdbn).
enum DataLocator {
  static func find(_ name: String) throws -> String {
    var candidates = ["Data/\(name)"]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent()
    for _ in 0..<5 {
      candidates.append(dir.appendingPathComponent("Data/\(name)").path)
      dir = dir.deletingLastPathComponent()
    }
    guard let hit = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw PipelineError(
        "Data/\(name)",
        "not found next to the working directory or the cdbn executable; pass a config with data.path"
      )
    }
    return hit
  }
}
