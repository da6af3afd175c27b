import CDBNAudio
import CDBNModels
import Foundation

/// The text `cdbn inspect` prints: format, preprocessing, layers with shapes, training state,
/// the history of each layer, and the config.
public enum ModelSummary {
  public static func text(of c: ModelCheckpoint, path: String) -> String {
    var out: [String] = ["\(path): cdbn model, \(c.model.layers.count) layer(s)"]
    if let audio = c.audioFrontEnd {
      let s = audio.spectrogram
      out.append(
        "preprocessing: \(AudioFeatures.kind), \(s.windowLength)-sample window every \(s.hopLength) samples at \(s.sampleRate) Hz, \(audio.whitening.componentCount) of \(s.binCount) PCA components (ε \(audio.whitening.epsilon))"
      )
    } else {
      out.append("preprocessing: \(c.model.preprocessing.kind)")
    }
    for (i, layer) in c.model.layers.enumerated() {
      let f = layer.filters.shape
      var line =
        "layer \(i + 1) (/layers/\(i)): \(type(of: layer).kind), \(layer.outputChannels) bases of \(f[1])×\(f[2])×\(f[3]), pooling \(layer.pooling[0])×\(layer.pooling[1])"
      if let rbm = layer as? ConvRBM {
        line +=
          ", \(rbm.visible.rawValue) visible"
          + (rbm.visible == .gaussian ? ", sigma \(rbm.sigma)" : "")
        let w = rbm.weights.scalars
        let norm = (w.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(1, w.count)))
          .squareRoot()
        line += String(
          format: ", weight rms %.4g, mean hidden bias %.4g", norm,
          rbm.hiddenBias.reduce(0, +) / Float(max(1, rbm.hiddenBias.count)))
      } else if let psd = layer as? PSDLayer {
        line += details(of: psd)
      } else if let deconv = layer as? DeconvLayer {
        line += details(of: deconv)
      }
      out.append(line)
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
}
