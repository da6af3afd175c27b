import RealModule

/// Shrinkage operators of sparse coding.
///
/// `soft` is the proximal operator of t·‖x‖₁ (ISTA/FISTA's step): x ← sign(x)·max(|x| − t, 0).
/// `smooth` is the smooth shrinkage of Kavukcuoglu et al. (NIPS 2010), a differentiable stand-in
/// for it that a feed-forward encoder can be trained through:
///   sh_{β,b}(s) = sign(s)·[(1/β)·log(exp(β·b) + exp(β·|s|) − 1) − b],
/// which is 0 at s = 0, tends to sign(s)·(|s| − b) for large |s| and to the soft threshold as β → ∞.
public enum Shrinkage {
  public typealias Lanes = SIMD16<Float>

  /// x ← sign(x)·max(|x| − threshold, 0), in place; `threshold` ≥ 0.
  public static func soft(_ x: UnsafeMutablePointer<Float>, count: Int, threshold: Float) {
    let t = Lanes(repeating: threshold)
    let zero = Lanes(repeating: 0)
    let raw = UnsafeMutableRawPointer(x)
    var i = 0
    while i + 16 <= count {
      let v = raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
      // max(v − t, 0) + min(v + t, 0): one of the two is always zero.
      let up = (v - t).replacing(with: zero, where: v .<= t)
      let down = (v + t).replacing(with: zero, where: v .>= -t)
      raw.storeBytes(of: up + down, toByteOffset: i * 4, as: Lanes.self)
      i += 16
    }
    while i < count {
      x[i] = soft(x[i], threshold: threshold)
      i += 1
    }
  }

  /// sign(x)·max(|x| − threshold, 0).
  @inlinable
  public static func soft(_ x: Float, threshold: Float) -> Float {
    x > threshold ? x - threshold : (x < -threshold ? x + threshold : 0)
  }

  /// The smooth shrinkage sh_{β,b}(s) with its partial derivatives; β = `sharpness` > 0,
  /// b = `threshold` ≥ 0. Evaluated in Double with the largest exponent factored out, so large β·|s|
  /// neither overflows nor loses the small terms.
  public static func smooth(_ s: Float, sharpness: Float, threshold: Float) -> (
    value: Float, dInput: Float, dSharpness: Float, dThreshold: Float
  ) {
    let beta = Double(sharpness)
    let b = Double(threshold)
    let a = abs(Double(s))
    let sign: Double = s < 0 ? -1 : 1
    // A = e^{βb} + e^{β|s|} − 1 = e^m·(eb + es − e0) with m the larger exponent.
    let m = max(beta * b, beta * a)
    let eb = Double.exp(beta * b - m)
    let es = Double.exp(beta * a - m)
    let e0 = Double.exp(-m)
    let scaled = eb + es - e0
    let logA = m + Double.log(scaled)
    let value = sign * (logA / beta - b)
    let dInput = es / scaled  // even: the derivative of an odd function
    let dThreshold = sign * (eb / scaled - 1)
    let dSharpness = sign * (-logA / (beta * beta) + (b * eb + a * es) / (scaled * beta))
    return (Float(value), Float(dInput), Float(dSharpness), Float(dThreshold))
  }
}
