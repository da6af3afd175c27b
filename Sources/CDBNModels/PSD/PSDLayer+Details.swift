import Foundation

extension PSDLayer {
  /// ", lambda 0.5, beta 1, tanh encoder, features from the encoder, rectify, LCN 9×9 σ 2, encoder
  /// weight rms …, mean gain …".
  public var details: String {
    let s = settings
    var text =
      ", lambda \(s.sparsity), beta \(s.predictionWeight), \(s.encoder.rawValue) encoder, features from the \(s.features == .encoder ? "encoder" : "FISTA codes (\(s.fistaIterations) iterations)")"
    if stage.rectify { text += ", rectify" }
    if let c = stage.contrast { text += ", LCN \(c.size)×\(c.size) σ \(c.sigma)" }
    let w = encoderWeights.scalars
    let rms = (w.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(1, w.count))).squareRoot()
    let gain = encoderGain.reduce(0, +) / Float(max(1, encoderGain.count))
    text += String(
      format: ", encoder weight rms %.4g, mean %@ %.4g", rms,
      s.encoder == .tanh ? "gain" : "sharpness", gain)
    return text
  }
}
