import CDBNNumerics
import RealModule

/// Softmax over class scores and the cross-entropy loss −log p_label, computed stably
/// (log Σ exp(z − max z) − (z_label − max z)). Its gradient with respect to the scores is p − onehot.
public enum SoftmaxCrossEntropy {
  /// For `count` rows of `classes` scores at `logits`: writes the probabilities into `probabilities`
  /// and, with `labels`, the gradient of the summed loss into `gradient`. Returns the summed loss
  /// (0 without labels) and how many rows have their label as the (first) highest score.
  static func apply(
    logits: UnsafePointer<Float>, count: Int, classes: Int, labels: UnsafePointer<Int>?,
    probabilities: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>?
  ) -> (loss: Double, correct: Int) {
    var loss = 0.0
    var correct = 0
    for e in 0..<count {
      let z = logits + e * classes
      let p = probabilities + e * classes
      var top = z[0]
      var best = 0
      for k in 1..<classes where z[k] > top {
        top = z[k]
        best = k
      }
      for k in 0..<classes { p[k] = z[k] - top }
      VectorMath.expInPlace(p, count: classes)
      let total = VectorMath.sum(p, count: classes)
      let inverse = 1 / total
      for k in 0..<classes { p[k] *= inverse }
      guard let labels else { continue }
      let label = labels[e]
      loss += Double(Float.log(total) - (z[label] - top))
      if best == label { correct += 1 }
      if let gradient {
        let g = gradient + e * classes
        for k in 0..<classes { g[k] = p[k] }
        g[label] -= 1
      }
    }
    return (loss, correct)
  }

  /// The summed loss over the rows of `logits` [N, K] (or [N, K, 1, 1]) and its gradient with
  /// respect to the logits, shaped like them.
  public static func lossAndGradient(logits: Tensor, labels: [Int]) throws(ConvNetError) -> (
    loss: Double, gradient: Tensor
  ) {
    let n = logits.rank > 0 ? logits.shape[0] : 0
    let classes = n > 0 ? logits.count / n : 0
    guard n > 0, classes >= 1, labels.count == n else {
      throw .shapeMismatch("\(labels.count) labels for logits \(logits.shape)")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
      throw .invalidLabel("label \(labels[bad]) at \(bad) is outside 0..<\(classes)")
    }
    var probabilities = [Float](repeating: 0, count: logits.count)
    var gradient = Tensor(zeros: logits.shape)
    let loss = logits.scalars.withUnsafeBufferPointer { z in
      labels.withUnsafeBufferPointer { l in
        probabilities.withUnsafeMutableBufferPointer { p in
          gradient.scalars.withUnsafeMutableBufferPointer { g in
            apply(
              logits: z.baseAddress!, count: n, classes: classes, labels: l.baseAddress!,
              probabilities: p.baseAddress!, gradient: g.baseAddress!
            ).loss
          }
        }
      }
    }
    return (loss, gradient)
  }

  /// Row-wise softmax of `logits` [N, K].
  public static func probabilities(logits: Tensor) -> Tensor {
    let n = logits.shape.first ?? 0
    guard n > 0 else { return logits }
    let classes = logits.count / n
    var out = [Float](repeating: 0, count: logits.count)
    logits.scalars.withUnsafeBufferPointer { z in
      out.withUnsafeMutableBufferPointer { p in
        _ = apply(
          logits: z.baseAddress!, count: n, classes: classes, labels: nil,
          probabilities: p.baseAddress!, gradient: nil)
      }
    }
    return Tensor(shape: [n, classes], scalars: out)
  }
}
