import CDBNModels
import Foundation

extension ModelSummary {
  /// ", lambda 0.5, beta 1, tanh encoder, features from the encoder, rectify, LCN 9×9 σ 2, encoder
  /// weight rms …, mean gain …".
  static func details(of psd: PSDLayer) -> String {
    let s = psd.settings
    var text =
      ", lambda \(s.sparsity), beta \(s.predictionWeight), \(s.encoder.rawValue) encoder, features from the \(s.features == .encoder ? "encoder" : "FISTA codes (\(s.fistaIterations) iterations)")"
    if psd.stage.rectify { text += ", rectify" }
    if let c = psd.stage.contrast { text += ", LCN \(c.size)×\(c.size) σ \(c.sigma)" }
    let w = psd.encoderWeights.scalars
    let rms = (w.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(1, w.count))).squareRoot()
    let gain = psd.encoderGain.reduce(0, +) / Float(max(1, psd.encoderGain.count))
    text += String(
      format: ", encoder weight rms %.4g, mean %@ %.4g", rms,
      s.encoder == .tanh ? "gain" : "sharpness", gain)
    return text
  }
}
