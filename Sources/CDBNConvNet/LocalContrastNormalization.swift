#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Local contrast normalisation (Jarrett, Kavukcuoglu, Ranzato & LeCun 2009; Pinto, Cox & DiCarlo
/// 2008), per example, across all C channels:
///
///   m    = Σ_c G ∗ x_c / (C·cov)            (local mean; G a normalised size×size Gaussian)
///   v_c  = x_c − m                           (subtractive step)
///   σ    = sqrt(Σ_c G ∗ v_c² / (C·cov))      (local standard deviation)
///   y_c  = v_c / max(c, σ, ε)                (divisive step)
///
/// where c is the mean of σ over the example's positions (`.meanSigma`, Jarrett et al.) or a fixed
/// constant (`.constant`), and ε = 1e-4 keeps a flat input finite. The window is zero-padded at the
/// borders and `cov` (the part of the window inside the input) renormalises it there, so a constant
/// input has m equal to that constant everywhere. The output has the input's shape. The backward pass
/// is exact (away from the ties of the max).
public final class LocalContrastNormalization: NetworkLayer {
  public static let epsilon: Float = 1e-4
  public let size: Int
  public let sigma: Float
  public let divisor: LCNDivisor
  /// The normalised 1-D Gaussian (Σ = 1); the 2-D window is its outer product.
  let kernel: [Float]
  /// 1 / (C·cov) per position.
  let inverseCoverage: [Float]

  private var centred = FloatBuffer(count: 0)
  private var deviation = FloatBuffer(count: 0)
  private var divisors = FloatBuffer(count: 0)
  private var means = FloatBuffer(count: 0)
  private let plane1: FloatBuffer
  private let plane2: FloatBuffer
  private let plane3: FloatBuffer

  init(index: Int, inputShape: [Int], size: Int, sigma: Float, divisor: LCNDivisor)
    throws(ConvNetError)
  {
    _ = try LayerSpec.localContrastNormalization(size: size, sigma: sigma, divisor: divisor)
      .outputShape(for: inputShape, index: index)
    self.size = size
    self.sigma = sigma
    self.divisor = divisor
    let r = size / 2
    var g = (0..<size).map { t -> Float in
      let d = Float(t - r)
      return expf(-(d * d) / (2 * sigma * sigma))
    }
    let total = g.reduce(0, +)
    g = g.map { $0 / total }
    kernel = g
    let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
    func coverage(_ n: Int) -> [Float] {
      (0..<n).map { i in
        var s: Float = 0
        for t in 0..<size where i + t - r >= 0 && i + t - r < n { s += g[t] }
        return s
      }
    }
    let ch = coverage(h)
    let cw = coverage(w)
    var inv = [Float](repeating: 0, count: h * w)
    for i in 0..<h { for j in 0..<w { inv[i * w + j] = 1 / (Float(c) * ch[i] * cw[j]) } }
    inverseCoverage = inv
    plane1 = FloatBuffer(count: h * w)
    plane2 = FloatBuffer(count: h * w)
    plane3 = FloatBuffer(count: h * w)
    super.init(index: index, inputShape: inputShape, outputShape: inputShape, parameters: [])
  }

  public override var spec: LayerSpec {
    .localContrastNormalization(size: size, sigma: sigma, divisor: divisor)
  }

  public override func replica() -> NetworkLayer {
    try! LocalContrastNormalization(
      index: index, inputShape: inputShape, size: size, sigma: sigma, divisor: divisor)
  }

  override func reserveScratch(_ examples: Int) {
    let hw = inputShape[1] * inputShape[2]
    centred = FloatBuffer(count: examples * inputSize)
    deviation = FloatBuffer(count: examples * hw)
    divisors = FloatBuffer(count: examples * hw)
    means = FloatBuffer(count: examples)
  }

  /// dst = G ∗ src, same size, zero outside (the window is symmetric, so this is its own adjoint).
  private func blur(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
    let (h, w) = (inputShape[1], inputShape[2])
    let r = size / 2
    let tmp = plane3.pointer
    kernel.withUnsafeBufferPointer { g in
      for i in 0..<h {
        for j in 0..<w {
          var s: Float = 0
          for t in max(0, r - j)..<min(size, w - j + r) { s += g[t] * src[i * w + j + t - r] }
          tmp[i * w + j] = s
        }
      }
      for i in 0..<h {
        for j in 0..<w {
          var s: Float = 0
          for t in max(0, r - i)..<min(size, h - i + r) { s += g[t] * tmp[(i + t - r) * w + j] }
          dst[i * w + j] = s
        }
      }
    }
  }

  override func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let c = inputShape[0]
    let hw = inputShape[1] * inputShape[2]
    let (p1, p2) = (plane1.pointer, plane2.pointer)
    inverseCoverage.withUnsafeBufferPointer { inv in
      for e in 0..<count {
        let x = input + e * inputSize
        let v = centred.pointer + e * inputSize
        let sd = deviation.pointer + e * hw
        let d = divisors.pointer + e * hw
        p1.update(repeating: 0, count: hw)
        for ch in 0..<c { for p in 0..<hw { p1[p] += x[ch * hw + p] } }
        blur(p1, into: p2)
        for p in 0..<hw { p2[p] *= inv[p] }
        p1.update(repeating: 0, count: hw)
        for ch in 0..<c {
          for p in 0..<hw {
            let value = x[ch * hw + p] - p2[p]
            v[ch * hw + p] = value
            p1[p] += value * value
          }
        }
        blur(p1, into: p2)
        var total: Float = 0
        for p in 0..<hw {
          sd[p] = max(0, p2[p] * inv[p]).squareRoot()
          total += sd[p]
        }
        let cRaw: Float
        switch divisor {
        case .meanSigma: cRaw = total / Float(hw)
        case .constant(let k): cRaw = k
        }
        means.pointer[e] = cRaw
        let floor = max(cRaw, Self.epsilon)
        for p in 0..<hw { d[p] = max(floor, sd[p]) }
        let y = output + e * inputSize
        for ch in 0..<c { for p in 0..<hw { y[ch * hw + p] = v[ch * hw + p] / d[p] } }
      }
    }
  }

  override func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    guard let gradInput else { return }
    let c = inputShape[0]
    let hw = inputShape[1] * inputShape[2]
    let (p1, p2) = (plane1.pointer, plane2.pointer)
    inverseCoverage.withUnsafeBufferPointer { inv in
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
