import CDBNNumerics
import RealModule

/// How a new binary ConvRBM layer starts from the statistics of its input: its σ and its visible
/// biases.
///
/// Every layer starts from filters drawn from N(0, s²), s = ``ConvRBM/initialWeightStd``. Over
/// those random filters, a hidden unit's input W_k ⋆ v / σ² has standard deviation
/// s · √(n · E[v²]) / σ², n = C·fh·fw the filter's fan-in. On whitened pictures (E[v²] = 1, 10×10
/// filters, σ = 0.2) that is 2.5; on layer 1's pooled maps (rms 0.117, 24×10×10 filters) at σ = 1
/// it is 0.057, so every unit only follows its bias (about −5.9), all filters get the same gradient
/// and layer 2 collapses to one picture (mean |cos| 0.81). σ is chosen here so that the starting
/// input has deviation ``targetDeviation`` whatever the layer's depth or data; since σ scales the
/// filters' effective learning rate and weight decay with it, the config's rates keep one meaning
/// across layers (as in Lee's code, where σ = 0.2 is set by hand for layer 2 of the natural-image
/// CDBN).
///
/// The visible biases start at the logit of each channel's mean (Hinton's practical guide, 2010):
/// from 0 the first reconstructions are 0.5 everywhere against inputs of mean 0.015, and the first
/// updates push every filter weight down alike.
public struct StartingScale: Sendable, Equatable {
  /// The standard deviation of a hidden unit's starting input aimed at: 1, chosen before any run
  /// (the usual unit-variance start of a layer's pre-activations), not tuned. On natural images it
  /// gives σ = 0.24 where Lee set 0.2 by hand; 0.5 and 2 gave layer-2 filters of mean |cos| 0.31
  /// and 0.17 against 0.20 (Experiments/natural-images/LAYER2.md).
  public static let targetDeviation: Float = 1

  public let sigma: Float
  /// One per input channel.
  public let visibleBias: [Float]
  /// What was measured, for the log: the input's mean and root mean square.
  public let inputMean: Double
  public let inputRMS: Double

  /// Measures `inputs` (batches [N, C, H, W] of the layer's input) for filters of `fanIn` taps;
  /// nil when the input is all zeros (no scale can make such a layer learn).
  public init?(measuring inputs: [Tensor], fanIn: Int) {
    guard let channels = inputs.first?.shape[1] else { return nil }
    var sums = [Double](repeating: 0, count: channels)
    var squares = 0.0
    var count = 0
    for t in inputs {
      let (n, c, h, w) = t.dims4
      let plane = h * w
      for e in 0..<n {
        for ch in 0..<c {
          let base = (e * c + ch) * plane
          for i in 0..<plane {
            let x = Double(t.scalars[base + i])
            sums[ch] += x
            squares += x * x
          }
        }
      }
      count += n * plane
    }
    guard count > 0,
      let sigma = Self.sigma(meanSquare: squares / Double(count * channels), fanIn: fanIn)
    else { return nil }
    self.sigma = sigma
    visibleBias = sums.map { Self.logit($0 / Double(count)) }
    inputMean = sums.reduce(0, +) / Double(count * channels)
    inputRMS = (squares / Double(count * channels)).squareRoot()
  }

  /// σ for filters of `fanIn` taps on inputs of mean square `meanSquare`; nil for a zero input.
  public static func sigma(meanSquare: Double, fanIn: Int) -> Float? {
    guard meanSquare > 0, meanSquare.isFinite, fanIn > 0 else { return nil }
    let deviation = Double(ConvRBM.initialWeightStd) * (Double(fanIn) * meanSquare).squareRoot()
    let gain = Double(targetDeviation) / deviation
    return Float(1 / gain.squareRoot())
  }

  /// log(p / (1 − p)) with p kept in [0.001, 0.999], so a channel that never fires starts at −6.9.
  static func logit(_ p: Double) -> Float {
    let q = min(max(p, 0.001), 0.999)
    return Float(Double.log(q / (1 - q)))
  }
}
