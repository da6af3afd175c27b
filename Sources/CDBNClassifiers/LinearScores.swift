import CDBNNumerics

/// x·Wᵀ + b for every row: the scores of the linear SVM and the logits of softmax regression.
///
/// Rows are cut into chunks that depend only on the sizes, one sgemm per chunk, chunks spread over
/// the workers: the same numbers on any thread count.
enum LinearScores {
  /// [N, K] scores for `x` [N, D], `weights` [K, D], `bias` [K].
  static func compute(_ x: FeatureMatrix, weights: [Float], bias: [Float]) -> [Float] {
    let (n, d, k) = (x.rows, x.columns, bias.count)
    var scores = [Float](repeating: 0, count: n * k)
    guard n > 0 else { return scores }
    let plan = ChunkPlan(examples: n, floatsPerExample: d + k)
    x.values.withUnsafeBufferPointer { xp in
      weights.withUnsafeBufferPointer { wp in
        scores.withUnsafeMutableBufferPointer { sp in
          nonisolated(unsafe) let (xp, wp, sp) = (xp.baseAddress!, wp.baseAddress!, sp.baseAddress!)
          Parallelism.forEach(plan.ranges.count) { task, _ in
            let range = plan.ranges[task]
            let out = sp + range.lowerBound * k
            for r in 0..<range.count {
              for c in 0..<k { out[r * k + c] = bias[c] }
            }
            BLAS.sgemm(
              .none, .transposed, m: range.count, n: k, k: d, alpha: 1,
              a: xp + range.lowerBound * d, lda: d, b: wp, ldb: d, beta: 1, c: out, ldc: k)
          }
        }
      }
    }
    return scores
  }

  /// The index of the largest score in each row of [N, K] `scores`, the first on ties.
  static func argmax(_ scores: [Float], classes k: Int) -> [Int] {
    let n = k > 0 ? scores.count / k : 0
    return (0..<n).map { r in
      var best = 0
      for c in 1..<k where scores[r * k + c] > scores[r * k + best] { best = c }
      return best
    }
  }
}
