import CDBNClassifiers
import CDBNConvNet
import CDBNDatasets
import CDBNModels
import CDBNNumerics
import Foundation

extension Benchmark {
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
      throw Failure(
        description: "\(mnistPath): needs 5,000 labelled examples for the SVM benchmark")
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
}
