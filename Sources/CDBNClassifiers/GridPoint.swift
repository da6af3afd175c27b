/// One setting tried by cross-validation: the penalty C and, for the RBF SVM, the kernel width γ.
public struct GridPoint: Sendable, Equatable, Hashable, CustomStringConvertible {
  public var c: Double
  /// The RBF kernel's γ in exp(−γ‖x − x′‖²); nil for the linear models (and LIBSVM's 1/D default).
  public var gamma: Double?

  public init(c: Double, gamma: Double? = nil) {
    self.c = c
    self.gamma = gamma
  }

  /// C = 2^e for each exponent.
  public static func powersOfTwo<S: Sequence<Int>>(c exponents: S) -> [GridPoint] {
    exponents.map { GridPoint(c: pow2($0)) }
  }

  /// Every (C, γ) pair, C-major: C = 2^e for each `c` exponent, γ = 2^e for each `gamma` exponent.
  public static func powersOfTwo<S: Sequence<Int>, T: Sequence<Int>>(c: S, gamma: T) -> [GridPoint]
  {
    let gammas = gamma.map(pow2)
    return c.flatMap { e in gammas.map { GridPoint(c: pow2(e), gamma: $0) } }
  }

  /// Throws unless γ is nil: for the kinds that have no kernel width.
  func requireNoGamma(_ kind: ClassifierKind) throws {
    if gamma != nil {
      throw ClassifierError.invalidParameter("gamma applies to rbf-svm only, not \(kind)")
    }
  }

  public var description: String {
    if let gamma {
      "C = \(formatPower(c)), gamma = \(formatPower(gamma))"
    } else {
      "C = \(formatPower(c))"
    }
  }
}

private func pow2(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }

/// "2^-3 (0.125)" for exact powers of two, else the number.
func formatPower(_ x: Double) -> String {
  if x > 0, x.significand == 1 { return "2^\(Int(x.exponent))" }
  return "\(x)"
}
