import CDBNModels
import CDBNNumerics
import Foundation

/// CD-1 training throughput of the CRBM on fixed workloads (`cdbn bench --only W1,W2,W3`).
///
/// Flops count 2·K·C·h·w·Hh·Wh per example for each of the five passes of CD-1 (up, down, up again,
/// two weight-gradient correlations); pooling and sampling are timed, not counted.
extension Benchmark {
  public struct Workload: Sendable {
    public var name: String
    public var visible: VisibleUnits
    public var input: [Int]  // C, H, W
    public var filters: Int
    public var filter: [Int]
    public var pooling: [Int]
    public var batch: Int
  }

  public static let workloads: [Workload] = [
    Workload(
      name: "W1", visible: .binary, input: [1, 28, 28], filters: 24, filter: [9, 9],
      pooling: [2, 2], batch: 100),
    Workload(
      name: "W2", visible: .gaussian, input: [1, 65, 65], filters: 24, filter: [10, 10],
      pooling: [2, 2], batch: 20),
    Workload(
      name: "W3", visible: .gaussian, input: [80, 1, 305], filters: 300, filter: [1, 6],
      pooling: [1, 3], batch: 10),
  ]

  /// Runs the workloads named in `only` (all when nil) for about `seconds` each.
  public static func runCRBM(
    seconds: Double = 3, only: Set<String>? = nil, print emit: (String) -> Void
  ) throws {
    for w in workloads where only?.contains(w.name) ?? true {
      let r = try measure(w, seconds: seconds)
      emit(
        String(
          format:
            "%@ %@ %dx%dx%d K=%d %dx%d pool %dx%d batch %d: %.0f examples/s, %.1f GFLOP/s, %.0f µs/update (CPU %.0f µs; median of %d windows, %.0f–%.0f examples/s), peak memory %.0f MiB",
          w.name, w.visible.rawValue, w.input[0], w.input[1], w.input[2], w.filters, w.filter[0],
          w.filter[1], w.pooling[0],
          w.pooling[1], w.batch, r.examplesPerSecond, r.gflops, r.secondsPerUpdate * 1e6,
          r.cpuSecondsPerUpdate * 1e6, r.windows, r.slowest, r.fastest, peakMemoryMiB()))
    }
  }

  /// Trains for about `seconds` in windows of about half a second and reports the median window:
  /// other tenants of a shared machine slow some windows down, and the median is what a run sees
  /// most of the time. CPU time per update is over all windows.
  public static func measure(_ w: Workload, seconds: Double) throws -> (
    examplesPerSecond: Double, gflops: Double, secondsPerUpdate: Double,
    cpuSecondsPerUpdate: Double, windows: Int, slowest: Double, fastest: Double
  ) {
    let rbm = try ConvRBM(
      visible: w.visible, channels: w.input[0], filters: w.filters, filterHeight: w.filter[0],
      filterWidth: w.filter[1],
      poolHeight: w.pooling[0], poolWidth: w.pooling[1], sigma: 1, seed: 1)
    var cd = ContrastiveDivergence()
    cd.learningRate = 1e-3
    cd.sparsityTarget = 0.02
    let trainer = try ConvRBMTrainer(rbm: rbm, settings: cd, seed: 1)
    var rng = RandomStream(seed: 2)
    var data = Tensor(zeros: [w.batch] + w.input)
    for i in 0..<data.count {
      data.scalars[i] = w.visible == .binary ? (rng.nextFloat() < 0.2 ? 1 : 0) : rng.nextNormal()
    }
    for _ in 0..<2 { _ = try trainer.train(batch: data, epoch: 10) }
    let windowCount = max(3, Int((seconds / 0.5).rounded()))
    var rates: [Double] = []
    var updates = 0
    let startCPU = processCPUSeconds()
    for _ in 0..<windowCount {
      var inWindow = 0
      let start = Date()
      var elapsed = 0.0
      repeat {
        _ = try trainer.train(batch: data, epoch: 10)
        inWindow += 1
        elapsed = Date().timeIntervalSince(start)
      } while elapsed < seconds / Double(windowCount)
      rates.append(Double(inWindow * w.batch) / elapsed)
      updates += inWindow
    }
    let cpu = processCPUSeconds() - startCPU
    rates.sort()
    let median =
      rates.count % 2 == 1
      ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
    let shape = rbm.convolutionShape(height: w.input[1], width: w.input[2])
    return (
      median, 5 * shape.flopsPerExample * median / 1e9, Double(w.batch) / median,
      cpu / Double(updates), windowCount, rates.first ?? 0, rates.last ?? 0
    )
  }
}
