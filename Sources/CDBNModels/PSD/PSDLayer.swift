import CDBNNumerics
import CDBNStorage
import RealModule

/// A convolutional predictive sparse decomposition layer (Kavukcuoglu, Sermanet, Boureau, Gregor,
/// Mathieu & LeCun, NIPS 2010).
///
/// A decoder dictionary D of K unit-norm filters [K, C, fh, fw] explains an input x [C, H, W] as
/// x̂ = Σ_k D_k ∗ z_k (the full convolution, `Convolution.convolveFull`) from K code maps z_k of
/// (H−fh+1)×(W−fw+1), and an encoder predicts the codes in one pass, z̃ = f(W ∗ x) (`EncoderFunction`).
/// The energy of codes z is
///
///   E(x, z) = ½ Σ_c Σ_p ω_p (x_cp − x̂_cp)² + λ‖z‖₁ + β‖z − f(W ∗ x)‖²
///
/// where ω_p = (filter placements covering pixel p) / (fh·fw): each pixel counts as often as the
/// fh×fw patches that contain it, so the energy is that of patch-wise sparse coding summed over all
/// placements, and border pixels, which only a few code units can reach, are not reconstructed at
/// the expense of the filters' shape. Inference minimises E over z (`SparseCodeInference`, FISTA);
/// training alternates it with a gradient step on D (then each D_k back to unit norm) and on the
/// encoder (`PSDTrainer`). Features are the encoder's prediction or the inferred codes, through the
/// rectify → LCN → average-pooling `FeatureStage`.
public struct PSDLayer: FeatureLayer, Equatable {
  public static let kind = "psd"

  /// D [K, C, fh, fw], each filter of unit L2 norm.
  public var dictionary: Tensor
  /// W [K, C, fh, fw].
  public var encoderWeights: Tensor
  /// tanh: the gain g_k; shrink: the sharpness.
  public var encoderGain: [Float]
  /// tanh: the bias inside the tanh; shrink: the threshold.
  public var encoderBias: [Float]
  public var settings: PSDSettings
  public var stage: FeatureStage

  /// A new layer: D drawn from N(0, 1) and normalised, the encoder started at W = D (so W ∗ x is
  /// Dᵀx, the direction of ISTA's first step) with gain 1 and bias 0 (tanh), or sharpness 10 and
  /// threshold λ (shrink: about one ISTA step from zero codes).
  public init(
    channels: Int, filters: Int, filterHeight: Int, filterWidth: Int, settings: PSDSettings,
    stage: FeatureStage, seed: UInt64
  ) throws {
    guard channels > 0, filters > 0, filterHeight > 0, filterWidth > 0 else {
      throw ModelError.invalidConfiguration(
        "psd needs positive channels, filters and filter size (got C=\(channels), K=\(filters), \(filterHeight)×\(filterWidth))"
      )
    }
    try settings.validate()
    try stage.validate()
    var rng = RandomStream(seed: seed, stream: 0x950)
    var d = Tensor(zeros: [filters, channels, filterHeight, filterWidth])
    for i in 0..<d.count { d.scalars[i] = rng.nextNormal() }
    Self.normalizeFilters(&d)
    dictionary = d
    encoderWeights = d
    switch settings.encoder {
    case .tanh:
      encoderGain = [Float](repeating: 1, count: filters)
      encoderBias = [Float](repeating: 0, count: filters)
    case .shrink:
      encoderGain = [Float](repeating: 10, count: filters)
      encoderBias = [Float](repeating: settings.sparsity, count: filters)
    }
    self.settings = settings
    self.stage = stage
  }

  public var inputChannels: Int { dictionary.shape[1] }
  public var outputChannels: Int { dictionary.shape[0] }
  public var filterHeight: Int { dictionary.shape[2] }
  public var filterWidth: Int { dictionary.shape[3] }
  /// The decoder's filters: the bases in input space, and what higher layers are projected through.
  public var filters: Tensor { dictionary }
  public var pooling: [Int] { stage.pooling }

  /// Smallest sharpness the shrink encoder keeps (it divides by it).
  static let minimumSharpness: Float = 1e-3

  /// Output size for maps of `height`×`width` through filters `filter` and pooling `pooling`: valid
  /// code maps, then ragged pooling blocks. Nil when the filter does not fit.
  public static func outputSize(height: Int, width: Int, filter: [Int], pooling: [Int]) -> (
    height: Int, width: Int
  )? {
    guard filter[0] <= height, filter[1] <= width else { return nil }
    let (h, w) = (height - filter[0] + 1, width - filter[1] + 1)
    return ((h + pooling[0] - 1) / pooling[0], (w + pooling[1] - 1) / pooling[1])
  }

  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
    Self.outputSize(
      height: height, width: width, filter: [filterHeight, filterWidth], pooling: pooling)
  }

  public func convolutionShape(height: Int, width: Int) -> ConvolutionShape {
    ConvolutionShape(
      channels: inputChannels, height: height, width: width, filters: outputChannels,
      filterHeight: filterHeight, filterWidth: filterWidth)
  }

  /// ω for inputs of `height`×`width` [H·W]: covering placements / (fh·fw), 1 inside, less at borders.
  public func pixelWeights(height: Int, width: Int) -> [Float] {
    func cover(_ i: Int, _ n: Int, _ f: Int) -> Int {
      // Placements a with 0 ≤ i − a ≤ n − f.
      min(i, f - 1) - max(0, i - (n - f)) + 1
    }
    var weights = [Float](repeating: 0, count: height * width)
    let area = Float(filterHeight * filterWidth)
    for i in 0..<height {
      let rows = cover(i, height, filterHeight)
      for j in 0..<width {
        weights[i * width + j] = Float(rows * cover(j, width, filterWidth)) / area
      }
    }
    return weights
  }

  // MARK: - Encoder

  /// f and its partial derivatives at preactivation s = (W ∗ x)_k: value, ∂/∂s, ∂/∂gain, ∂/∂bias.
  @inline(__always)
  func encoderOutput(_ s: Float, map k: Int) -> (
    value: Float, dInput: Float, dGain: Float, dBias: Float
  ) {
    let g = encoderGain[k]
    let b = encoderBias[k]
    switch settings.encoder {
    case .tanh:
      let t = Float.tanh(s + b)
      let slope = g * (1 - t * t)
      return (g * t, slope, t, slope)
    case .shrink:
      let r = Shrinkage.smooth(s, sharpness: g, threshold: b)
      return (r.value, r.dInput, r.dSharpness, r.dThreshold)
    }
  }

  /// W ∗ x [N, K, Ho, Wo] and the prediction z̃ = f(W ∗ x).
  public func encode(_ x: Tensor) throws -> (preactivation: Tensor, prediction: Tensor) {
    try validate(x)
    let s = Convolution.correlateValid(x, encoderWeights)
    var z = s
    let (n, k, h, w) = s.dims4
    let plane = h * w
    z.scalars.withUnsafeMutableBufferPointer { zp in
      for e in 0..<n {
        for kk in 0..<k {
          let base = zp.baseAddress! + (e * k + kk) * plane
          switch settings.encoder {
          case .tanh:
            VectorMath.scaledTanhInPlace(
              base, count: plane, shift: encoderBias[kk], gain: encoderGain[kk])
          case .shrink:
            for p in 0..<plane { base[p] = encoderOutput(base[p], map: kk).value }
          }
        }
      }
    }
    return (s, z)
  }

  /// The encoder's prediction z̃ = f(W ∗ x) [N, K, Ho, Wo].
  public func predict(_ x: Tensor) throws -> Tensor { try encode(x).prediction }

  /// The codes minimising the energy, warm-started from the prediction (FISTA).
  public func inferCodes(_ x: Tensor) throws -> SparseCodeInference.Result {
    let prediction = try predict(x)
    return SparseCodeInference(layer: self, height: x.shape[2], width: x.shape[3])
      .run(x, prediction: prediction)
  }

  /// The features: the prediction or the inferred codes (`settings.features`), through the stage.
  public func features(_ input: Tensor) throws -> Tensor {
    let codes: Tensor
    switch settings.features {
    case .encoder: codes = try predict(input)
    case .codes: codes = try inferCodes(input).codes
    }
    return stage.apply(codes)
  }

  // MARK: - Energy and gradients

  /// x̂ = Σ_k D_k ∗ z_k for codes [N, K, Ho, Wo]: [N, C, H, W].
  public func reconstruct(_ codes: Tensor) -> Tensor {
    Convolution.convolveFull(codes, dictionary)
  }

  /// E(x, z) of each example (see the type's documentation), in Double.
  public func energy(_ x: Tensor, codes: Tensor) throws -> [Double] {
    let prediction = try predict(x)
    let reconstruction = reconstruct(codes)
    let (n, c, h, w) = x.dims4
    let omega = pixelWeights(height: h, width: w)
    let per = codes.count / max(1, n)
    return (0..<n).map { e in
      var fit = 0.0
      for ch in 0..<c {
        for p in 0..<(h * w) {
          let i = (e * c + ch) * h * w + p
          let r = Double(x.scalars[i] - reconstruction.scalars[i])
          fit += Double(omega[p]) * r * r
        }
      }
      var l1 = 0.0
      var prediction2 = 0.0
      for i in (e * per)..<((e + 1) * per) {
        l1 += Double(abs(codes.scalars[i]))
        let d = Double(codes.scalars[i] - prediction.scalars[i])
        prediction2 += d * d
      }
      return 0.5 * fit + Double(settings.sparsity) * l1
        + Double(settings.predictionWeight) * prediction2
    }
  }

  /// ω ⊙ (x − x̂): the weighted residual of the reconstruction `reconstruction` of x.
  public func weightedResidual(_ x: Tensor, reconstruction: Tensor) -> Tensor {
    let (n, c, h, w) = x.dims4
    let omega = pixelWeights(height: h, width: w)
    var r = x
    for plane in 0..<(n * c) {
      let base = plane * h * w
      for p in 0..<(h * w) {
        r.scalars[base + p] = omega[p] * (x.scalars[base + p] - reconstruction.scalars[base + p])
      }
    }
    return r
  }

  /// ∂(Σ_examples E)/∂D at codes z, given the weighted residual ω ⊙ (x − Dz):
  /// −Σ_n Σ_{i,j} z[n,k,i,j]·r[n,c,i+a,j+b].
  public func dictionaryGradient(weightedResidual r: Tensor, codes: Tensor) -> Tensor {
    var g = Convolution.weightGradient(
      input: r, maps: codes, filterHeight: filterHeight, filterWidth: filterWidth)
    for i in 0..<g.count { g.scalars[i] = -g.scalars[i] }
    return g
  }

  /// ∂(Σ_examples β‖z − f(W ∗ x)‖²)/∂(W, gain, bias) at codes z; `preactivation` is W ∗ x when the
  /// caller has it already.
  public func encoderGradient(_ x: Tensor, codes: Tensor, preactivation: Tensor? = nil) throws -> (
    weights: Tensor, gain: [Float], bias: [Float]
  ) {
    let s = try preactivation ?? encode(x).preactivation
    let (n, k, _, _) = s.dims4
    let upstream = encoderUpstream(preactivation: s, codes: codes)
    var gain = [Float](repeating: 0, count: k)
    var bias = [Float](repeating: 0, count: k)
    for e in 0..<n {
      for kk in 0..<k {
        gain[kk] += upstream.gain[e * k + kk]
        bias[kk] += upstream.bias[e * k + kk]
      }
    }
    let gw = Convolution.weightGradient(
      input: x, maps: upstream.delta, filterHeight: filterHeight, filterWidth: filterWidth)
    return (gw, gain, bias)
  }

  /// The error β‖z − f(s)‖² sends back through the encoder at codes z and preactivation s = W ∗ x:
  /// δ = ∂/∂s [N, K, Ho, Wo], and per example and map [N·K] its derivatives for the gain and the bias.
  public func encoderUpstream(preactivation s: Tensor, codes: Tensor) -> (
    delta: Tensor, gain: [Float], bias: [Float]
  ) {
    let (n, k, h, w) = s.dims4
    let plane = h * w
    var delta = s
    var gain = [Float](repeating: 0, count: n * k)
    var bias = [Float](repeating: 0, count: n * k)
    let twoBeta = 2 * settings.predictionWeight
    for e in 0..<n {
      for kk in 0..<k {
        let base = (e * k + kk) * plane
        var sumGain: Float = 0
        var sumBias: Float = 0
        for p in 0..<plane {
          let f = encoderOutput(s.scalars[base + p], map: kk)
          // ∂/∂z̃ of β(z − z̃)².
          let upstream = -twoBeta * (codes.scalars[base + p] - f.value)
          delta.scalars[base + p] = upstream * f.dInput
          sumGain += upstream * f.dGain
          sumBias += upstream * f.dBias
        }
        gain[e * k + kk] = sumGain
        bias[e * k + kk] = sumBias
      }
    }
    return (delta, gain, bias)
  }

  /// Scales each filter [C, fh, fw] of `d` to unit L2 norm (an all-zero filter stays zero).
  public static func normalizeFilters(_ d: inout Tensor) {
    let k = d.shape[0]
    let per = d.count / max(1, k)
    for f in 0..<k {
      var sum = 0.0
      for i in (f * per)..<((f + 1) * per) { sum += Double(d.scalars[i]) * Double(d.scalars[i]) }
      guard sum > 0 else { continue }
      let scale = Float(1 / sum.squareRoot())
      for i in (f * per)..<((f + 1) * per) { d.scalars[i] *= scale }
    }
  }
}
