import ArgumentParser
import CDBNBenchmarks

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Measure training and inference throughput of every model (build with -c release for meaningful numbers)."
  )

  @Option(help: "Seconds per workload.")
  var seconds = 3.0

  @Option(
    help: ArgumentHelp(
      "Comma-separated groups or workloads to run (\(Benchmark.names.joined(separator: ",")))."))
  var only: String?

  @OptionGroup var compute: ComputeOptions

  func run() throws {
    try compute.apply()
    guard seconds > 0, seconds <= 3600 else {
      throw ValidationError("--seconds must be in (0, 3600]")
    }
    let names = only.map { Set($0.split(separator: ",").map { String($0) }) }
    if let unknown = names?.subtracting(Benchmark.names).sorted(), !unknown.isEmpty {
      throw ValidationError(
        "--only: unknown \(unknown.joined(separator: ", ")) (known: \(Benchmark.names.joined(separator: ", ")))"
      )
    }
    try Benchmark.run(seconds: seconds, only: names) { print($0) }
  }
}
