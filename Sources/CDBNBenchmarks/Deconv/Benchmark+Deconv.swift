import CDBNModels
import CDBNNumerics
import Foundation

extension Benchmark {
  /// A deconvolutional-layer workload: inference (the continuation) or a whole training update.
  public struct DeconvWorkload: Sendable {
    public var name: String
    public var input: [Int]  // C, H, W
    public var filters: Int
    public var filter: [Int]
    public var fanIn: Int?
    public var p: Float
    public var batch: Int
    public var training: Bool
  }

  public static let deconvWorkloads: [DeconvWorkload] = [
    DeconvWorkload(
      name: "D1", input: [1, 32, 32], filters: 16, filter: [7, 7], fanIn: nil, p: 1, batch: 16,
      training: false),
    DeconvWorkload(
      name: "D2", input: [1, 32, 32], filters: 16, filter: [7, 7], fanIn: nil, p: 0.8, batch: 16,
      training: false),
    DeconvWorkload(
      name: "D3", input: [16, 38, 38], filters: 32, filter: [7, 7], fanIn: 4, p: 1, batch: 16,
      training: false),
    DeconvWorkload(
      name: "D4", input: [1, 32, 32], filters: 16, filter: [7, 7], fanIn: nil, p: 1, batch: 16,
      training: true),
  ]

  /// `cdbn bench --only deconv`: examples/s of DeconvNet inference (default continuation: 6 β steps
  /// of one shrinkage and 5 CG iterations) and of a training update (inference, then 2 CG steps on
  /// the filters). Flops count 2·(connected planes)·fh·fw·Hz·Wz per operator application (A or
  /// Aᵀ): one for Aᵀy and two per CG iteration. A table's unconnected planes are skipped (the
  /// products run per input channel over its connected maps).
  public static func runDeconv(seconds: Double, print emit: (String) -> Void) throws {
    for w in deconvWorkloads {
      let r = try measure(w, seconds: seconds)
      emit(
        String(
          format:
            "%@ deconv %@ %dx%dx%d K=%d %dx%d%@ p=%g batch %d: %.0f examples/s, %.1f GFLOP/s (inference), %.0f µs/batch (CPU %.0f µs), peak memory %.0f MiB",
          w.name, w.training ? "training" : "inference", w.input[0], w.input[1], w.input[2],
          w.filters, w.filter[0], w.filter[1], w.fanIn.map { " fan-in \($0)" } ?? "", w.p,
          w.batch, r.examplesPerSecond, r.gflops, r.secondsPerBatch * 1e6,
          r.cpuSecondsPerBatch * 1e6, peakMemoryMiB()))
    }
  }

  static func measure(_ w: DeconvWorkload, seconds: Double) throws -> (
    examplesPerSecond: Double, gflops: Double, secondsPerBatch: Double, cpuSecondsPerBatch: Double
  ) {
    var inference = DeconvInference()
    inference.p = w.p
    let table = try w.fanIn.map {
      try ConnectivityTable.random(maps: w.filters, channels: w.input[0], fanIn: $0, seed: 1)
    }
    let layer = try DeconvLayer(
      channels: w.input[0], maps: w.filters, filterHeight: w.filter[0], filterWidth: w.filter[1],
      connectivity: table, inference: inference, seed: 1)
    let trainer = try DeconvTrainer(layer: layer)
    var rng = RandomStream(seed: 2)
    var data = Tensor(zeros: [w.batch] + w.input)
    for i in 0..<data.count { data.scalars[i] = rng.nextNormal() }
    func once() throws {
      if w.training {
        _ = try trainer.train(batch: data, epoch: 0)
      } else {
        _ = try layer.inferMaps(data)
      }
    }
    try once()
    var batches = 0
    let start = Date()
    let startCPU = processCPUSeconds()
    var elapsed = 0.0
    repeat {
      try once()
      batches += 1
      elapsed = Date().timeIntervalSince(start)
    } while elapsed < seconds
    let cpu = processCPUSeconds() - startCPU
    let examples = Double(batches * w.batch) / elapsed
    let (mh, mw) = (w.input[1] + w.filter[0] - 1, w.input[2] + w.filter[1] - 1)
    // Connected planes only: those are the products that run.
    let planes = layer.connectivity.connected.filter { $0 }.count
    let flopsPerApplication = 2 * Double(planes * w.filter[0] * w.filter[1]) * Double(mh * mw)
    let applications = Double(1 + 2 * inference.continuationSteps * inference.cgIterations)
    return (
      examples, flopsPerApplication * applications * examples / 1e9, elapsed / Double(batches),
      cpu / Double(batches)
    )
  }
}
