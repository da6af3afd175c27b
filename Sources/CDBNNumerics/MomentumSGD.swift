/// One momentum-SGD step on a parameter array, in place: every trainer's update (the CRBM's, the
/// CNN's) goes through here, so a change of optimiser is made once.
///
///   ascending:  v ← μ·v + η·(g − λ·w),  w ← w + v   (g a log-likelihood's gradient)
///   descending: v ← μ·v − η·(g + λ·w),  w ← w + v   (g a loss's gradient)
public enum MomentumSGD {
  public enum Direction: Sendable {
    case ascending, descending
  }

  public static func step(
    _ direction: Direction, parameters w: UnsafeMutablePointer<Float>,
    velocity v: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int,
    rate: Float, momentum: Float, decay: Float
  ) {
    switch direction {
    case .ascending:
      for i in 0..<count {
        v[i] = momentum * v[i] + rate * (g[i] - decay * w[i])
        w[i] += v[i]
      }
    case .descending:
      for i in 0..<count {
        v[i] = momentum * v[i] - rate * (g[i] + decay * w[i])
        w[i] += v[i]
      }
    }
  }
}
