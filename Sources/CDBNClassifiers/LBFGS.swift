/// Limited-memory BFGS (Nocedal & Wright, algorithm 7.4/7.5) with a backtracking Armijo line
/// search, for smooth convex objectives such as softmax regression's.
///
/// The objective is a closure returning (value, gradient) at a point. The inverse-Hessian
/// approximation is built from the last `memory` steps; a pair (s, y) with too little curvature
/// (sᵀy ≤ 10⁻¹⁰·yᵀy) is not stored, and a failed line search clears the memory and retries once
/// along the steepest descent before giving up. Deterministic: no randomness, no threads.
public struct LBFGS: Sendable {
  /// How many (s, y) pairs to remember.
  public var memory: Int
  public var maxIterations: Int
  /// Converged when ‖∇f‖∞ ≤ gradientTolerance · max(1, |f|).
  public var gradientTolerance: Double
  /// Converged when an iteration lowers f by at most valueTolerance · max(1, |f|).
  public var valueTolerance: Double

  public init(
    memory: Int = 10, maxIterations: Int = 500, gradientTolerance: Double = 1e-5,
    valueTolerance: Double = 1e-10
  ) {
    self.memory = memory
    self.maxIterations = maxIterations
    self.gradientTolerance = gradientTolerance
    self.valueTolerance = valueTolerance
  }

  public enum Stop: String, Sendable {
    case gradientTolerance = "gradient below tolerance"
    case valueTolerance = "objective stopped decreasing"
    case maxIterations = "iteration limit reached"
    case lineSearchFailed = "line search found no decrease"
    case nonFinite = "objective or gradient not finite"
  }

  public struct Result: Sendable {
    public var x: [Double]
    public var value: Double
    public var gradient: [Double]
    public var iterations: Int
    public var evaluations: Int
    public var stop: Stop
  }

  /// Minimises `objective` from `start`.
  public func minimize(
    from start: [Double], _ objective: ([Double]) -> (value: Double, gradient: [Double])
  ) -> Result {
    var x = start
    var (f, g) = objective(x)
    var evaluations = 1
    guard f.isFinite, g.allSatisfy(\.isFinite) else {
      return Result(x: x, value: f, gradient: g, iterations: 0, evaluations: 1, stop: .nonFinite)
    }
    var s: [[Double]] = []
    var y: [[Double]] = []
    var rho: [Double] = []
    for iteration in 0..<maxIterations {
      if maxAbs(g) <= gradientTolerance * max(1, abs(f)) {
        return Result(
          x: x, value: f, gradient: g, iterations: iteration, evaluations: evaluations,
          stop: .gradientTolerance)
      }
      var retried = false
      while true {
        var direction = twoLoop(g, s, y, rho)
        var slope = dot(direction, g)
        if !(slope < 0) {  // not a descent direction: fall back to steepest descent
          s.removeAll()
          y.removeAll()
          rho.removeAll()
          direction = g.map { -$0 }
          slope = dot(direction, g)
        }
        // Without curvature information yet, a first step of length 1 in x.
        var step = s.isEmpty ? min(1, 1 / max(maxAbs(direction), 1e-300)) : 1
        var accepted: (x: [Double], f: Double, g: [Double])? = nil
        for _ in 0..<50 {
          let candidate = zip(x, direction).map { $0 + step * $1 }
          let (fc, gc) = objective(candidate)
          evaluations += 1
          if fc.isFinite, gc.allSatisfy(\.isFinite), fc <= f + 1e-4 * step * slope {
            accepted = (candidate, fc, gc)
            break
          }
          step *= 0.5
        }
        guard let (xNew, fNew, gNew) = accepted else {
          if retried || s.isEmpty {
            return Result(
              x: x, value: f, gradient: g, iterations: iteration, evaluations: evaluations,
              stop: .lineSearchFailed)
          }
          s.removeAll()
          y.removeAll()
          rho.removeAll()
          retried = true
          continue
        }
        let sk = zip(xNew, x).map { $0 - $1 }
        let yk = zip(gNew, g).map { $0 - $1 }
        let sy = dot(sk, yk)
        if sy > 1e-10 * dot(yk, yk) {
          if s.count == memory {
            s.removeFirst()
            y.removeFirst()
            rho.removeFirst()
          }
          s.append(sk)
          y.append(yk)
          rho.append(1 / sy)
        }
        let decrease = f - fNew
        (x, f, g) = (xNew, fNew, gNew)
        if decrease <= valueTolerance * max(1, abs(f)) {
          return Result(
            x: x, value: f, gradient: g, iterations: iteration + 1, evaluations: evaluations,
            stop: .valueTolerance)
        }
        break
      }
    }
    return Result(
      x: x, value: f, gradient: g, iterations: maxIterations, evaluations: evaluations,
      stop: maxAbs(g) <= gradientTolerance * max(1, abs(f)) ? .gradientTolerance : .maxIterations)
  }

  /// −H·g with H the L-BFGS inverse-Hessian approximation, scaled by sᵀy / yᵀy of the newest pair.
  private func twoLoop(_ g: [Double], _ s: [[Double]], _ y: [[Double]], _ rho: [Double])
    -> [Double]
  {
    var q = g
    var alpha = [Double](repeating: 0, count: s.count)
    for i in stride(from: s.count - 1, through: 0, by: -1) {
      alpha[i] = rho[i] * dot(s[i], q)
      axpy(-alpha[i], y[i], &q)
    }
    if let sLast = s.last, let yLast = y.last {
      let scale = dot(sLast, yLast) / dot(yLast, yLast)
      for i in q.indices { q[i] *= scale }
    }
    for i in 0..<s.count {
      let beta = rho[i] * dot(y[i], q)
      axpy(alpha[i] - beta, s[i], &q)
    }
    return q.map { -$0 }
  }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double {
  var sum = 0.0
  for i in a.indices { sum += a[i] * b[i] }
  return sum
}

private func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
  for i in y.indices { y[i] += alpha * x[i] }
}

private func maxAbs(_ a: [Double]) -> Double {
  a.reduce(0) { max($0, abs($1)) }
}
