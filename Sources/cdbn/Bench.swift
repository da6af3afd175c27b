import ArgumentParser
import CDBNPipeline

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Measure training and inference throughput of every model (build with -c release for meaningful numbers)."
  )

  /// The groups of workloads beyond the CD-1 ones (W1, W2, W3), by the name `--only` takes.
  static let groups: [(name: String, run: @Sendable (Double, (String) -> Void) throws -> Void)] = [
    ("supervised", { try Benchmark.runSupervised(seconds: $0, print: $1) }),
    ("psd", { try Benchmark.runPSD(seconds: $0, print: $1) }),
    ("deconv", { try Benchmark.runDeconv(seconds: $0, print: $1) }),
    ("audio", { try Benchmark.runAudio(seconds: $0, print: $1) }),
  ]

  @Option(help: "Seconds per workload.")
  var seconds = 3.0

  @Option(help: "Comma-separated workloads to run (W1,W2,W3,supervised,psd,deconv,audio).")
  var only: String?

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    guard seconds > 0, seconds <= 3600 else {
      throw ValidationError("--seconds must be in (0, 3600]")
    }
    let names = only.map { Set($0.split(separator: ",").map { String($0) }) }
    try Benchmark.run(seconds: seconds, only: names) { print($0) }
    for group in Self.groups where names?.contains(group.name) ?? true {
      try group.run(seconds) { print($0) }
    }
  }
}
