import CDBNDatasets
import Foundation

/// `cdbn plot`: a model's training curves from `/history` as one PNG, a row of panels per layer:
/// reconstruction error, mean activation against the sparsity target (dashed), and σ. Each panel
/// names itself and its range, so the picture reads without a legend.
public enum TrainingCurves {
  static let panelWidth = 300
  static let panelHeight = 150
  static let margin = 34

  /// Writes the curves of `checkpoint` (read from `modelPath`) to `path`.
  public static func write(_ checkpoint: ModelCheckpoint, modelPath: String, to path: String) throws
  {
    let layers = checkpoint.history.enumerated().filter { $0.element.epochs > 0 }
    guard !layers.isEmpty else {
      throw PipelineError(modelPath, "has no training history to plot")
    }
    let config = try? PretrainingConfig(yaml: checkpoint.config, file: modelPath)
    let columns = 3
    var raster = Raster(
      width: columns * (panelWidth + 2 * margin), height: layers.count * (panelHeight + 2 * margin))
    for (row, (l, history)) in layers.enumerated() {
      let top = row * (panelHeight + 2 * margin) + margin
      func origin(_ column: Int) -> (x: Int, y: Int) {
        (column * (panelWidth + 2 * margin) + margin, top)
      }
      raster.panel(
        at: origin(0), title: "LAYER \(l + 1) RECONSTRUCTION ERROR",
        series: history.reconstructionError)
      let activation = history.meanActivation.map {
        Double($0.reduce(0, +)) / Double(max(1, $0.count))
      }
      let target = config?.activationTarget(layer: l)
      if !activation.isEmpty {
        raster.panel(
          at: origin(1), title: "LAYER \(l + 1) MEAN ACTIVATION", series: activation, target: target
        )
      }
      if !history.sigma.isEmpty {
        raster.panel(at: origin(2), title: "LAYER \(l + 1) SIGMA", series: history.sigma)
      }
    }
    try PipelineError.naming(path) {
      try PNGWriter.write(rgb: raster.pixels, width: raster.width, height: raster.height, to: path)
    }
  }
}
