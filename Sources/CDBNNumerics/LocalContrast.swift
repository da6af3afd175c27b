import RealModule

/// Local contrast normalisation (Jarrett, Kavukcuoglu, Ranzato & LeCun 2009; Pinto, Cox & DiCarlo
/// 2008) of one example [C, H, W], across all C channels:
///
///   m    = Σ_c G ∗ x_c / (C·cov)            (local mean; G a normalised size×size Gaussian)
///   v_c  = x_c − m                           (subtractive step)
///   σ    = sqrt(Σ_c G ∗ v_c² / (C·cov))      (local standard deviation)
///   y_c  = v_c / max(c, σ, ε)                (divisive step)
///
/// where c is the mean of σ over the example's positions (Jarrett et al.) or a fixed constant, and
/// ε = 1e-4 keeps a flat input finite. The window is zero-padded at the borders and `cov` (the part
/// of the window inside the input) renormalises it there, so a constant input has m equal to that
/// constant everywhere. The CNN's LCN layer (forward and backward) and the PSD feature stage both
/// run on this.
public struct LocalContrast: Sendable {
  public static let epsilon: Float = 1e-4
  public let channels: Int
  public let height: Int
  public let width: Int
  /// Window side (odd).
  public let size: Int
  public let sigma: Float
  /// c when fixed; nil for the mean of σ over the example.
  public let constantDivisor: Float?
  /// The normalised 1-D Gaussian (Σ = 1); the 2-D window is its outer product.
  public let kernel: [Float]
  /// 1 / (C·cov) per position.
  public let inverseCoverage: [Float]

  public init(
    channels: Int, height: Int, width: Int, size: Int, sigma: Float, constantDivisor: Float? = nil
  ) {
    precondition(channels > 0 && height > 0 && width > 0 && size > 0 && sigma > 0)
    self.channels = channels
    self.height = height
    self.width = width
    self.size = size
    self.sigma = sigma
    self.constantDivisor = constantDivisor
    let r = size / 2
    var g = (0..<size).map { t -> Float in
      let d = Float(t - r)
      return Float.exp(-(d * d) / (2 * sigma * sigma))
    }
    let total = g.reduce(0, +)
    g = g.map { $0 / total }
    kernel = g
    func coverage(_ n: Int) -> [Float] {
      (0..<n).map { i in
        var s: Float = 0
        for t in 0..<size where i + t - r >= 0 && i + t - r < n { s += g[t] }
        return s
      }
    }
    let ch = coverage(height)
    let cw = coverage(width)
    var inv = [Float](repeating: 0, count: height * width)
    for i in 0..<height {
      for j in 0..<width { inv[i * width + j] = 1 / (Float(channels) * ch[i] * cw[j]) }
    }
    inverseCoverage = inv
  }

  public var plane: Int { height * width }
  /// Scratch floats `normalize` needs besides its outputs: three planes.
  public var scratchFloats: Int { 3 * plane }

  /// dst = G ∗ src on one plane, same size, zero outside (the window is symmetric, so this is its own
  /// adjoint); `scratch` holds one plane. Each pass adds one tap at a time over whole rows, so the
  /// inner loops are plain vectorisable axpys (each output still sums its taps in order).
  public func blur(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
    scratch tmp: UnsafeMutablePointer<Float>
  ) {
    let (h, w) = (height, width)
    let r = size / 2
    kernel.withUnsafeBufferPointer { g in
      tmp.update(repeating: 0, count: h * w)
      for i in 0..<h {
        let (row, out) = (src + i * w, tmp + i * w)
        for t in 0..<size {
          let shift = t - r
          let (lo, hi) = (max(0, -shift), min(w, w - shift))
          let weight = g[t]
          if lo < hi { for j in lo..<hi { out[j] += weight * row[j + shift] } }
        }
      }
      dst.update(repeating: 0, count: h * w)
      for i in 0..<h {
        let out = dst + i * w
        for t in max(0, r - i)..<min(size, h - i + r) {
          let (row, weight) = (tmp + (i + t - r) * w, g[t])
          for j in 0..<w { out[j] += weight * row[j] }
        }
      }
    }
  }

  /// Normalises one example `x` [C, H, W] into `y` (which may be `x`). Keeps what the backward pass
  /// needs: `centred` v [C, H, W], `deviation` σ and `divisors` max(c, σ, ε) [H, W]; returns c.
  /// `scratch` holds `scratchFloats`.
  @discardableResult
  public func normalize(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    centred v: UnsafeMutablePointer<Float>, deviation sd: UnsafeMutablePointer<Float>,
    divisors d: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) -> Float {
    let (c, hw) = (channels, plane)
    let (p1, p2, tmp) = (scratch, scratch + hw, scratch + 2 * hw)
    return inverseCoverage.withUnsafeBufferPointer { inv in
      p1.update(repeating: 0, count: hw)
      for ch in 0..<c { for p in 0..<hw { p1[p] += x[ch * hw + p] } }
      blur(p1, into: p2, scratch: tmp)
      for p in 0..<hw { p2[p] *= inv[p] }
      p1.update(repeating: 0, count: hw)
      for ch in 0..<c {
        for p in 0..<hw {
          let value = x[ch * hw + p] - p2[p]
          v[ch * hw + p] = value
          p1[p] += value * value
        }
      }
      blur(p1, into: p2, scratch: tmp)
      var total: Float = 0
      for p in 0..<hw {
        sd[p] = max(0, p2[p] * inv[p]).squareRoot()
        total += sd[p]
      }
      let cRaw = constantDivisor ?? total / Float(hw)
      let floor = max(cRaw, Self.epsilon)
      for p in 0..<hw { d[p] = max(floor, sd[p]) }
      for ch in 0..<c { for p in 0..<hw { y[ch * hw + p] = v[ch * hw + p] / d[p] } }
      return cRaw
    }
  }
}
