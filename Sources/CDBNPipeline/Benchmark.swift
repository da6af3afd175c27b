import CDBNClassifiers
import CDBNConvNet
import CDBNDatasets
import CDBNModels
import CDBNNumerics
import Foundation

/// `cdbn bench`: CD-1 training throughput on fixed workloads, with the sgemm ceiling beside it.
///
/// Flops count 2·K·C·h·w·Hh·Wh per example for each of the five passes of CD-1 (up, down, up again,
/// two weight-gradient correlations); pooling and sampling are timed, not counted.
public enum Benchmark {
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

  /// Runs every workload for about `seconds` each and returns the printed lines.
  public static func run(
    seconds: Double = 3, only: Set<String>? = nil, print emit: (String) -> Void
  ) throws {
    emit(
      "OpenBLAS core: \(BLAS.coreName); cdbn threads: \(Parallelism.threads) (OpenBLAS single-threaded inside them)"
    )
    emit(
      String(
        format: "sgemm 2048x2048x2048: %.1f GFLOP/s on %d threads",
        sgemmRate(threads: Parallelism.threads), Parallelism.threads))
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

  /// The supervised-stage figures: CNN training examples/s for a LeNet-sized network on 28×28, and
  /// the LIBLINEAR fit time on 5,000 MNIST examples' layer-1 features (from `mnistPath`, skipped when
  /// it is not there).
  public static func runSupervised(
    seconds: Double, mnistPath: String = "Data/mnist/train-images-idx3-ubyte.gz",
    print emit: (String) -> Void
  ) throws {
    let cnn = try cnnExamplesPerSecond(seconds: seconds)
    emit(
      String(
        format:
          "CNN LeNet 1x28x28 conv 20 5x5, maxpool 2, conv 50 5x5, maxpool 2, dense 500, dense 10, batch 64: %.0f examples/s, peak memory %.0f MiB",
        cnn, peakMemoryMiB()))
    guard FileManager.default.fileExists(atPath: mnistPath) else {
      emit("SVM fit: skipped, \(mnistPath) not found (run from the repository root)")
      return
    }
    let fit = try svmFitSeconds(mnistPath: mnistPath)
    emit(
      String(
        format:
          "SVM linear (LIBLINEAR, C = 0.01) fit on %d x %d MNIST features (layer 1 of an untrained 40-filter 12x12 CRBM): %.2f s, peak memory %.0f MiB",
        fit.rows, fit.columns, fit.seconds, peakMemoryMiB()))
  }

  static func cnnExamplesPerSecond(seconds: Double) throws -> Double {
    let spec = NetworkSpec(
      inputShape: [1, 28, 28],
      layers: [
        .convolution(filters: 20, kernel: 5), .activation(.relu), .pooling(.max, size: 2),
        .convolution(filters: 50, kernel: 5), .activation(.relu), .pooling(.max, size: 2),
        .dense(outputs: 500), .activation(.relu), .dense(outputs: 10),
      ])
    let network = try Network(spec: spec, seed: 1)
    var settings = TrainingSettings()
    settings.batchSize = 64
    let trainer = try ConvNetTrainer(network: network, settings: settings, seed: 1)
    let n = 640
    var rng = RandomStream(seed: 3)
    var data = Tensor(zeros: [n, 1, 28, 28])
    for i in 0..<data.count { data.scalars[i] = rng.nextFloat() }
    let labels = (0..<n).map { $0 % 10 }
    _ = try trainer.trainEpoch(data: data, labels: labels)
    var examples = 0
    let start = Date()
    repeat {
      _ = try trainer.trainEpoch(data: data, labels: labels)
      examples += n
    } while Date().timeIntervalSince(start) < seconds
    return Double(examples) / Date().timeIntervalSince(start)
  }

  static func svmFitSeconds(mnistPath: String) throws -> (rows: Int, columns: Int, seconds: Double)
  {
    let source = try openExamples(path: mnistPath)
    guard let labels = source.labels, source.count >= 5000 else {
      throw PipelineError(mnistPath, "needs 5,000 labelled examples for the SVM benchmark")
    }
    let rbm = try ConvRBM(
      visible: .binary, channels: 1, filters: 40, filterHeight: 12, filterWidth: 12, poolHeight: 2,
      poolWidth: 2, seed: 1)
    let features = try rbm.features(try source.batch(0..<5000))
    let x = try FeatureMatrix(flattening: features)
    let start = Date()
    _ = try ClassifierTrainer(kind: .linearSVM, c: 0.01, standardize: false)
      .fit(x, labels: Array(labels.prefix(5000)))
    return (x.rows, x.columns, Date().timeIntervalSince(start))
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
      cpu / Double(updates), windowCount, rates.first!, rates.last!
    )
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

  /// The process's peak resident memory (VmHWM), in MiB.
  public static func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return 0
    }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
      return kb / 1024
    }
    return 0
  }
}
