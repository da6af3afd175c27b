import ArgumentParser
import CDBNDistributed
import CDBNNumerics
import Foundation

@main
struct CDBNCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cdbn",
    abstract:
      "Unsupervised convolutional feature learning: convolutional RBMs and deep belief networks.",
    version: "0.1.0",
    subcommands: [
      Pretrain.self, Features.self, Split.self, Classify.self, TrainCNN.self, Visualize.self,
      Predict.self, Inspect.self, Plot.self, Specificity.self, Bench.self,
    ])

  static func main() {
    // Past a file-size limit (`ulimit -f`) a write then fails with EFBIG, reported as an error that
    // names the file, instead of SIGXFSZ killing the process mid-save.
    signal(SIGXFSZ, SIG_IGN)
    var command: ParsableCommand
    do { command = try parseAsRoot(nil) } catch { Launch.exit(after: error, in: Self.self) }
    do {
      try Launch.refuseUnderLauncher(command)
      try command.run()
    } catch {
      // The subcommand's type, so that a usage error shows the subcommand's usage.
      Launch.exit(after: error, in: type(of: command))
    }
    World.finish()
  }
}

/// Options every compute-heavy command shares.
struct ComputeOptions: ParsableArguments {
  @Option(help: "Worker threads (results do not depend on it). Default: all cores.")
  var threads: Int?

  func apply() throws {
    if let threads {
      guard threads >= 1, threads <= 1024 else {
        throw ValidationError("--threads must be in 1...1024")
      }
      Parallelism.threads = threads
    }
  }
}
