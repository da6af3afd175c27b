import CDBNNumerics

/// Local contrast normalisation across all C channels of each example (`LocalContrast` in
/// CDBNNumerics does the forward pass; see its formulas). The output has the input's shape. The
/// backward pass is exact (away from the ties of the max).
public final class LocalContrastNormalization: NetworkLayer {
  public let storage: LayerStorage
  public static let epsilon: Float = LocalContrast.epsilon
  public let size: Int
  public let sigma: Float
  public let divisor: LCNDivisor
  let contrast: LocalContrast

  private var centred = FloatBuffer(count: 0)
  private var deviation = FloatBuffer(count: 0)
  private var divisors = FloatBuffer(count: 0)
  private var means = FloatBuffer(count: 0)
  /// Three planes: two for the backward pass's sums, the third for `blur`.
  private let planes: FloatBuffer

  init(index: Int, inputShape: [Int], size: Int, sigma: Float, divisor: LCNDivisor)
    throws(ConvNetError)
  {
    _ = try LayerSpec.localContrastNormalization(size: size, sigma: sigma, divisor: divisor)
      .outputShape(for: inputShape, index: index)
    self.size = size
    self.sigma = sigma
    self.divisor = divisor
    var constant: Float? = nil
    if case .constant(let k) = divisor { constant = k }
    contrast = LocalContrast(
      channels: inputShape[0], height: inputShape[1], width: inputShape[2], size: size,
      sigma: sigma, constantDivisor: constant)
    planes = FloatBuffer(count: contrast.scratchFloats)
    storage = LayerStorage(
      index: index, inputShape: inputShape, outputShape: inputShape, parameters: [])
  }

  public var spec: LayerSpec {
    .localContrastNormalization(size: size, sigma: sigma, divisor: divisor)
  }

  /// A copy with buffers of its own.
  private init(replicating other: LocalContrastNormalization) {
    size = other.size
    sigma = other.sigma
    divisor = other.divisor
    contrast = other.contrast
    planes = FloatBuffer(count: contrast.scratchFloats)
    storage = other.storage.replica()
  }

  public func replica() -> any NetworkLayer { LocalContrastNormalization(replicating: self) }

  public func reserveScratch(_ examples: Int) {
    let hw = inputShape[1] * inputShape[2]
    centred = FloatBuffer(count: examples * inputSize)
    deviation = FloatBuffer(count: examples * hw)
    divisors = FloatBuffer(count: examples * hw)
    means = FloatBuffer(count: examples)
  }

  public func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let hw = inputShape[1] * inputShape[2]
    for e in 0..<count {
      means.pointer[e] = contrast.normalize(
        input + e * inputSize, into: output + e * inputSize,
        centred: centred.pointer + e * inputSize, deviation: deviation.pointer + e * hw,
        divisors: divisors.pointer + e * hw, scratch: planes.pointer)
    }
  }

  public func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    guard let gradInput else { return }
    let c = inputShape[0]
    let hw = inputShape[1] * inputShape[2]
    let (p1, p2, tmp) = (planes.pointer, planes.pointer + hw, planes.pointer + 2 * hw)
    func blur(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
      contrast.blur(src, into: dst, scratch: tmp)
    }
    contrast.inverseCoverage.withUnsafeBufferPointer { inv in
      for e in 0..<count {
        let gy = gradOutput + e * inputSize
        let gx = gradInput + e * inputSize
        let v = centred.pointer + e * inputSize
        let sd = deviation.pointer + e * hw
        let d = divisors.pointer + e * hw
        let cRaw = means.pointer[e]
        let floor = max(cRaw, Self.epsilon)
        // dL/dv through y = v/d (into gx), and dL/dd (into p1).
        p1.update(repeating: 0, count: hw)
        for ch in 0..<c {
          for p in 0..<hw {
            gx[ch * hw + p] = gy[ch * hw + p] / d[p]
            p1[p] -= gy[ch * hw + p] * v[ch * hw + p]
          }
        }
        // d = max(floor, σ): to σ where σ won, else to c (which, for the mean, spreads over all σ).
        var toMean: Float = 0
        for p in 0..<hw {
          let gd = p1[p] / (d[p] * d[p])
          if sd[p] >= floor {
            p1[p] = gd
          } else {
            p1[p] = 0
            toMean += gd
          }
        }
        if case .meanSigma = divisor, cRaw >= Self.epsilon {
          let share = toMean / Float(hw)
          for p in 0..<hw { p1[p] += share }
        }
        // σ = sqrt(σ²), σ² = inv ⊙ G∗q: dL/dq = G ∗ (inv ⊙ dL/dσ²).
        for p in 0..<hw { p1[p] = sd[p] > 0 ? p1[p] / (2 * sd[p]) * inv[p] : 0 }
        blur(p1, into: p2)
        // q = Σ v²; then v = x − m: dL/dm = −Σ_c dL/dv_c, and m = inv ⊙ G∗(Σ_c x_c).
        p1.update(repeating: 0, count: hw)
        for ch in 0..<c {
          for p in 0..<hw {
            let g = gx[ch * hw + p] + 2 * v[ch * hw + p] * p2[p]
            gx[ch * hw + p] = g
            p1[p] -= g
          }
        }
        for p in 0..<hw { p1[p] *= inv[p] }
        blur(p1, into: p2)
        for ch in 0..<c { for p in 0..<hw { gx[ch * hw + p] += p2[p] } }
      }
    }
  }
}
