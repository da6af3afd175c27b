import ArgumentParser
import CDBNPipeline

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure CD-1 training throughput (build with -c release for meaningful numbers).")

  @Option(help: "Seconds per workload.")
  var seconds = 3.0

  @Option(help: "Comma-separated workloads to run (W1,W2,W3,supervised,audio).")
  var only: String?

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    guard seconds > 0, seconds <= 3600 else {
      throw ValidationError("--seconds must be in (0, 3600]")
    }
    let names = only.map { Set($0.split(separator: ",").map { String($0) }) }
    try Benchmark.run(seconds: seconds, only: names) { print($0) }
    if names?.contains("supervised") ?? true {
      try Benchmark.runSupervised(seconds: seconds) { print($0) }
    }
    if names?.contains("audio") ?? true {
      try Benchmark.runAudio(seconds: seconds) { print($0) }
    }
  }
}
