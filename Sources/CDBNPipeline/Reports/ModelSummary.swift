import CDBNAudio
import CDBNModels
import Foundation

/// The text `cdbn inspect` prints: format, preprocessing, layers with shapes, training state,
/// the history of each layer, and the config.
public enum ModelSummary {
  public static func text(of c: ModelCheckpoint, path: String) -> String {
    var out: [String] = ["\(path): cdbn model, \(c.model.layers.count) layer(s)"]
    let config = try? PretrainingConfig(yaml: c.config, file: path)
    out.append("preprocessing: \(c.model.frontEnd.summary)")
    for (i, layer) in c.model.layers.enumerated() {
      let f = layer.filters.shape
      var line =
        "layer \(i + 1) (/layers/\(i)): \(type(of: layer).kind), \(layer.outputChannels) bases of \(f[1])×\(f[2])×\(f[3]), pooling \(layer.pooling[0])×\(layer.pooling[1])"
      line += layer.details
      out.append(line)
      out.append(contentsOf: health(of: c, layer: i, config: config))
    }
    if let p = c.progress {
      out.append(
        p.complete
          ? "training: complete (\(p.step) updates in the last layer, seed \(p.seed))"
          : "training: in progress, layer \(p.layer + 1) has \(p.epoch) epoch(s) done (seed \(p.seed)); continue with --resume"
      )
    }
    for (i, h) in c.history.enumerated() where h.epochs > 0 {
      let act = h.meanActivation.map { $0.reduce(0, +) / Float(max(1, $0.count)) }
      let total = h.seconds.reduce(0, +)
      out.append(
        String(
          format:
            "history layer %d: %d epochs, reconstruction error %.5g → %.5g, mean activation %.4g → %.4g, %.1f s",
          i + 1, h.epochs, h.reconstructionError.first ?? 0, h.reconstructionError.last ?? 0,
          act.first ?? 0,
          act.last ?? 0, total))
    }
    if !c.config.isEmpty {
      out.append("config:")
      out.append(
        contentsOf: c.config.split(separator: "\n", omittingEmptySubsequences: false).map {
          "  " + $0
        })
    }
    return out.joined(separator: "\n")
  }

  /// Layer `i`'s health line and its warnings (see `LayerHealth`).
  static func health(of c: ModelCheckpoint, layer i: Int, config: PretrainingConfig?) -> [String] {
    let layer = c.model.layers[i]
    // Activation is reported against the target of kinds that train towards one.
    let target = config?.activationTarget(layer: i)
    var units: [Double] = []
    if target != nil, i < c.history.count, let last = c.history[i].meanActivation.last {
      units = last.map(Double.init)
    }
    let health = LayerHealth(
      filters: layer.filters, unitActivations: units, activationTarget: target)
    return ["  health: \(health.summary)"]
      + health.warnings.map { "  warning: layer \(i + 1) \($0)" }
  }
}
