/// How a new binary ConvRBM layer's σ follows from the statistics of its input.
///
/// Every layer starts from filters drawn from N(0, s²), s = ``ConvRBM/initialWeightStd``. Over
/// those random filters, a hidden unit's input W_k ⋆ v / σ² has standard deviation
/// s · √(n · E[v²]) / σ², n = C·fh·fw the filter's fan-in. On whitened pictures (E[v²] = 1, 10×10
/// filters, σ = 0.2) that is 2.5; on layer 1's pooled maps (rms 0.117, 24×10×10 filters) at σ = 1
/// it is 0.057, so every unit only follows its bias (about −5.9), all filters get the same gradient
/// and layer 2 collapses to one picture (mean |cos| 0.81). σ is chosen here so that the starting input has deviation
/// ``targetDeviation`` whatever the layer's depth or data; since σ scales the filters' effective
/// learning rate and weight decay with it, the config's rates keep one meaning across layers (as
/// in Lee's code, where σ = 0.2 is set by hand for layer 2 of the natural-image CDBN).
public enum StartingScale {
  /// The standard deviation of a hidden unit's starting input aimed at: 1, chosen before any run
  /// (the usual unit-variance start of a layer's pre-activations), not tuned. On natural images it
  /// gives σ = 0.24 where Lee set 0.2 by hand; 0.5 and 2 gave layer-2 filters of mean |cos| 0.31
  /// and 0.17 against 0.20 (Experiments/natural-images/LAYER2.md).
  public static let targetDeviation: Float = 1

  /// σ for a layer whose filters see `fanIn` inputs of mean square `meanSquare`; nil when the
  /// input is all zeros (no scale can make such a layer learn).
  public static func sigma(meanSquare: Double, fanIn: Int) -> Float? {
    guard meanSquare > 0, meanSquare.isFinite, fanIn > 0 else { return nil }
    let deviation = Double(ConvRBM.initialWeightStd) * (Double(fanIn) * meanSquare).squareRoot()
    let gain = Double(targetDeviation) / deviation
    return Float(1 / gain.squareRoot())
  }
}
