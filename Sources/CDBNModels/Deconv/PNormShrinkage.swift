import CDBNNumerics
import RealModule

/// The w-step of a deconvolutional network's continuation (Zeiler et al. 2010, eq. 6; Krishnan &
/// Fergus 2009): element by element,
///   w = argmin_w |w|^p + (β/2)(w − v)²,   0 < p ≤ 1.
///
/// p = 1 is the soft threshold at 1/β. For p < 1 the minimiser is 0 up to the generalised threshold
///   τ = x* + (p/β)·x*^(p−1),   x* = (2(1 − p)/β)^(1/(2−p))
/// (Zuo et al., ICCV 2013), where the non-zero stationary point starts to beat 0; above it, it is
/// the larger root of u − |v| + (p/β)·u^(p−1) = 0, found by Newton's method from u = |v|. That
/// function is convex and increasing right of τ's root (its slope there is at least 1 − p/2), so
/// Newton descends monotonically onto the root in a few steps.
public struct PNormShrinkage: Sendable, Equatable {
  public let p: Float
  public let beta: Float
  /// |v| at or below which the minimiser is 0.
  public let threshold: Float

  public init(p: Float, beta: Float) {
    precondition(p > 0 && p <= 1 && beta > 0, "p in (0, 1] and β > 0")
    self.p = p
    self.beta = beta
    if p == 1 {
      threshold = 1 / beta
    } else {
      let lambda = 1 / Double(beta)
      let q = Double(p)
      let root = Double.pow(2 * lambda * (1 - q), 1 / (2 - q))
      threshold = Float(root + lambda * q * Double.pow(root, q - 1))
    }
  }

  /// The minimiser for one value.
  @inline(__always)
  public func callAsFunction(_ v: Float) -> Float {
    if p == 1 { return Shrinkage.soft(v, threshold: threshold) }
    let a = abs(v)
    guard a > threshold else { return 0 }
    let u = Float(Self.newtonRoot(Double(a), lambda: 1 / Double(beta), p: Double(p)))
    return v < 0 ? -u : u
  }

  /// w[i] = shrink(v[i]) for `count` values.
  public func apply(_ v: UnsafePointer<Float>, into w: UnsafeMutablePointer<Float>, count: Int) {
    if p == 1 {
      // The sparse coder's SIMD soft threshold, in place on a copy.
      w.update(from: v, count: count)
      Shrinkage.soft(w, count: count, threshold: threshold)
    } else {
      for i in 0..<count { w[i] = self(v[i]) }
    }
  }

  /// The larger root of u − a + λp·u^(p−1) = 0 for a above the threshold.
  static func newtonRoot(_ a: Double, lambda: Double, p: Double) -> Double {
    var u = a
    for _ in 0..<50 {
      let power = Double.pow(u, p - 2)  // u^(p−2); u^(p−1) = u·power
      let f = u - a + lambda * p * u * power
      let slope = 1 + lambda * p * (p - 1) * power
      let next = u - f / slope
      // Quadratic convergence: a step below Float's resolution leaves an error far below it.
      if u - next <= 1e-7 * u { return next }
      u = next
    }
    return u
  }
}
