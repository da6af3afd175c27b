import CDBNModels
import CDBNNumerics
import Foundation

extension Benchmark {
  /// The PSD figures (`cdbn bench --only psd`) at one fixed size: 1×32×32 inputs, 16 filters 9×9,
  /// batches of 32. Encoder inference is the whole feature path with `features: encoder` (one
  /// correlation, tanh, rectify, 9×9 LCN, 2×2 average pooling); FISTA inference runs exactly 50
  /// iterations per example (tolerance 0, so the work does not depend on the data), warm-started
  /// from the encoder.
  public static func runPSD(seconds: Double, print emit: (String) -> Void) throws {
    var settings = PSDSettings()
    settings.fistaIterations = 50
    settings.fistaTolerance = 0
    let layer = try PSDLayer(
      channels: 1, filters: 16, filterHeight: 9, filterWidth: 9, settings: settings,
      stage: FeatureStage(pooling: [2, 2]), seed: 1)
    var rng = RandomStream(seed: 2)
    var batch = Tensor(zeros: [32, 1, 32, 32])
    for i in 0..<batch.count { batch.scalars[i] = rng.nextNormal() }
    let shape = "1x32x32 K=16 9x9 batch 32"

    let encoder = try examplesPerSecond(batch: 32, seconds: seconds) {
      _ = try layer.features(batch)
    }
    emit(
      String(
        format:
          "PSD encoder inference %@ (tanh, rectify, LCN 9x9, avg pool 2x2): %.0f examples/s (CPU %.0f µs/example), peak memory %.0f MiB",
        shape, encoder.rate, encoder.cpuPerExample * 1e6, peakMemoryMiB()))

    let inference = SparseCodeInference(layer: layer, height: 32, width: 32)
    let workspace = SparseCodeInference.Workspace(
      shape: inference.shape, workers: Parallelism.threads)
    let fista = try examplesPerSecond(batch: 32, seconds: seconds) {
      _ = inference.run(batch, prediction: try layer.predict(batch), workspace: workspace)
    }
    emit(
      String(
        format:
          "PSD FISTA inference %@ (50 iterations, warm start from the encoder): %.0f examples/s (CPU %.0f µs/example, %.1f µs/iteration), peak memory %.0f MiB",
        shape, fista.rate, fista.cpuPerExample * 1e6, fista.cpuPerExample * 1e6 / 50,
        peakMemoryMiB()))
  }
}
