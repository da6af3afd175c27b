import CDBNModels
import CDBNNumerics
import Foundation

/// `cdbn bench`: throughput of every model on fixed workloads, with the sgemm ceiling beside it and
/// the peak memory of each figure's workload. Each group of workloads is one entry of `groups`.
public enum Benchmark {
  /// What a run was asked for: seconds per workload, and the comparison files of the CSC group.
  public struct Settings: Sendable {
    public var seconds: Double
    /// Where `--only csc` writes its problems and cdbn's traces (`--csc-out`).
    public var cscOutput: String?
    /// SPORCO's traces for the same problems (`--sporco`, from `Experiments/csc/compare.sh`).
    public var sporcoTraces: String?

    public init(seconds: Double = 3, cscOutput: String? = nil, sporcoTraces: String? = nil) {
      self.seconds = seconds
      self.cscOutput = cscOutput
      self.sporcoTraces = sporcoTraces
    }
  }

  /// A group of workloads: its name (what `--only` takes) and how to run it. `names` are the
  /// workloads inside it that `--only` may pick one by one (the CRBM's W1, W2, W3).
  public struct Group: Sendable {
    public var name: String
    public var names: [String] = []
    public var run:
      @Sendable (_ settings: Settings, _ only: Set<String>?, _ emit: (String) -> Void) throws ->
        Void
  }

  /// Every group, in the order they run.
  public static let groups: [Group] = [
    Group(name: "crbm", names: workloads.map(\.name)) {
      try runCRBM(seconds: $0.seconds, only: $1, print: $2)
    },
    Group(name: "supervised") { s, _, emit in try runSupervised(seconds: s.seconds, print: emit) },
    Group(name: "psd") { s, _, emit in try runPSD(seconds: s.seconds, print: emit) },
    Group(name: "deconv") { s, _, emit in try runDeconv(seconds: s.seconds, print: emit) },
    Group(name: "csc") { s, _, emit in
      try runCSC(cscOutput: s.cscOutput, sporcoTraces: s.sporcoTraces, print: emit)
    },
    Group(name: "audio") { s, _, emit in try runAudio(seconds: s.seconds, print: emit) },
  ]

  /// A benchmark that cannot run, such as one whose data file lacks what it needs.
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  /// The names `--only` accepts: every group and every workload inside one.
  public static var names: [String] { groups.flatMap { [$0.name] + $0.names } }

  /// Prints the machine line and the sgemm ceiling, then runs the groups (or the workloads) named in
  /// `only`, all when nil, for about `settings.seconds` each.
  public static func run(
    _ settings: Settings = Settings(), only: Set<String>? = nil, print emit: (String) -> Void
  ) throws {
    emit(
      "OpenBLAS core: \(BLAS.coreName); cdbn threads: \(Parallelism.threads) (OpenBLAS single-threaded inside them); cdbn kernels: \(KernelInstructionSet.current)"
    )
    emit(
      String(
        format: "sgemm 2048x2048x2048: %.1f GFLOP/s on %d threads",
        sgemmRate(threads: Parallelism.threads), Parallelism.threads))
    for group in groups {
      if let only, !only.contains(group.name) {
        let picked = only.intersection(group.names)
        if !picked.isEmpty { try group.run(settings, picked, emit) }
      } else {
        try group.run(settings, nil, emit)
      }
    }
  }

  /// Runs `body` (one batch of `batch` examples) once to warm up, then for about `seconds`; returns
  /// examples per second of wall time and CPU seconds per example.
  static func examplesPerSecond(batch: Int, seconds: Double, _ body: () throws -> Void) rethrows
    -> (rate: Double, cpuPerExample: Double)
  {
    try body()
    var batches = 0
    let start = Date()
    let startCPU = processCPUSeconds()
    var elapsed = 0.0
    repeat {
      try body()
      batches += 1
      elapsed = Date().timeIntervalSince(start)
    } while elapsed < seconds
    let examples = Double(batches * batch)
    return (examples / elapsed, (processCPUSeconds() - startCPU) / examples)
  }

  /// sgemm GFLOP/s on 2048² matrices with OpenBLAS using `threads` threads.
  public static func sgemmRate(threads: Int) -> Double {
    let n = 2048
    let a = [Float](repeating: 0.5, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    let saved = BLAS.threads
    BLAS.threads = threads
    defer { BLAS.threads = saved }
    var best = 0.0
    for _ in 0..<3 {
      let start = Date()
      a.withUnsafeBufferPointer { ap in
        c.withUnsafeMutableBufferPointer { cp in
          BLAS.sgemm(
            .none, .none, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
            b: ap.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
        }
      }
      best = max(best, 2 * Double(n * n * n) / Date().timeIntervalSince(start) / 1e9)
    }
    return best
  }

  /// CPU time used by all of the process's threads: wall time is noisy when other work shares the
  /// cores, CPU time per update much less so.
  static func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// The process's peak resident memory (VmHWM) since the previous figure, in MiB: each figure
  /// reads the peak, then resets it (Linux's `clear_refs` 5), so a workload is not charged with an
  /// earlier one's peak.
  public static func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return 0
    }
    defer { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
      return kb / 1024
    }
    return 0
  }
}
