import CDBNNumerics
import CDBNStorage

/// x·Wᵀ + b for every row: the scores of the linear SVM and the logits of softmax regression.
///
/// Rows are cut into chunks that depend only on the sizes, one sgemm per chunk, chunks spread over
/// the workers: the same numbers on any thread count.
enum LinearScores {
  /// Writes `classes` [K] int64, `weights` [K, D] float32 and `bias` [K] float32.
  static func write(to group: HDF5Group, classes: [Int], weights: [Float], bias: [Float]) throws {
    try group.writeInts("classes", shape: [classes.count], classes)
    try group.writeFloats(
      "weights", shape: [classes.count, weights.count / classes.count], weights)
    try group.writeFloats("bias", shape: [classes.count], bias)
  }

  /// Reads what `write` wrote, checking that the shapes agree.
  static func read(_ reader: ModelGroupReader, group: HDF5Group) throws -> (
    classes: [Int], weights: [Float], bias: [Float]
  ) {
    let classes = try reader.classes()
    let w = try reader.floats("weights", rank: 2)
    guard w.shape[0] == classes.count, w.shape[1] > 0 else {
      throw ClassifierError.malformedModel(
        "\(group.name)/weights: shape \(w.shape) does not fit \(classes.count) classes")
    }
    return (classes, w.values, try reader.floats("bias", shape: [classes.count]).values)
  }

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
