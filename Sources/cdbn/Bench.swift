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

  @Option(
    help: "With the csc group: write its problems and cdbn's solver traces to this HDF5 file.")
  var cscOut: String?

  @Option(
    help: "With the csc group: SPORCO's traces for the same problems (Experiments/csc/compare.sh).")
  var sporco: String?

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
    try Benchmark.run(
      Benchmark.Settings(seconds: seconds, cscOutput: cscOut, sporcoTraces: sporco), only: names
    ) { print($0) }
  }
}
