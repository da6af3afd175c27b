import RealModule

/// How specific each unit (column) of a feature matrix is to one class, the measure Lee et al.
/// (2009) use to show that a CDBN's units grow more class-specific with depth.
///
/// A row holds each unit's activation on one picture (for a CDBN: the mean of its pooling-unit
/// probabilities over the picture, `cdbn features --pyramid 1 --pyramid-pooling mean`), read as
/// the chance that the unit is on at a random position of that picture. With equal class priors,
/// the chance of class c given that the unit is on is its mean activation over class c's pictures,
/// normalised over the classes:
///
///     p(c | on) = m_c / Σ_k m_k,   m_c = mean activation over the pictures of class c,
///
/// and the unit's conditional entropy is H = −Σ_c p(c | on) log₂ p(c | on) bits: 0 for a unit only
/// ever on in one class, log₂ K for one equally on in all K. A unit never on has no entropy (nil).
///
/// The second measure needs no priors: for each class, the area under the ROC curve of the unit's
/// activation as a score for that class against the rest (ties count a half); the unit's best
/// class and that area.
public struct ClassSpecificity: Sendable, Equatable {
  /// Classes (label values 0..<classes).
  public let classes: Int
  /// Per unit: the conditional entropy in bits of the class given that the unit is on; nil for a
  /// unit whose activation is 0 on every picture.
  public let entropy: [Double?]
  /// Per unit: the largest one-vs-rest ROC area over the classes, and the class that has it.
  public let bestArea: [Double]
  public let bestClass: [Int]

  /// - Parameters:
  ///   - activations: [N, U] non-negative activations.
  ///   - labels: N labels in 0..<classes; every class must have a picture.
  public init(activations: FeatureMatrix, labels: [Int], classes: Int) throws {
    let (n, units) = (activations.rows, activations.columns)
    guard labels.count == n, n > 0 else {
      throw ClassifierError.invalidInput("\(labels.count) labels for \(n) rows")
    }
    guard classes >= 2 else {
      throw ClassifierError.invalidInput(
        "class specificity needs at least 2 classes, got \(classes)")
    }
    var perClass = [Int](repeating: 0, count: classes)
    for label in labels {
      guard (0..<classes).contains(label) else {
        throw ClassifierError.invalidInput("label \(label) is outside 0..<\(classes)")
      }
      perClass[label] += 1
    }
    if let empty = perClass.firstIndex(of: 0) {
      throw ClassifierError.invalidInput("class \(empty) has no rows")
    }
    if let bad = activations.values.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
      throw ClassifierError.invalidInput(
        "activation at row \(bad / units), column \(bad % units) is \(activations.values[bad]); activations must be finite and non-negative"
      )
    }
    var entropy: [Double?] = []
    var bestArea: [Double] = []
    var bestClass: [Int] = []
    var column = [Double](repeating: 0, count: n)
    for u in 0..<units {
      for i in 0..<n { column[i] = Double(activations.values[i * units + u]) }
      var means = [Double](repeating: 0, count: classes)
      for i in 0..<n { means[labels[i]] += column[i] }
      for c in 0..<classes { means[c] /= Double(perClass[c]) }
      entropy.append(Self.entropy(of: means))
      let areas = Self.rocAreas(scores: column, labels: labels, perClass: perClass)
      let best = areas.indices.max { areas[$0] < areas[$1] }!
      bestArea.append(areas[best])
      bestClass.append(best)
    }
    self.classes = classes
    self.entropy = entropy
    self.bestArea = bestArea
    self.bestClass = bestClass
  }

  /// −Σ p log₂ p of `weights` normalised; nil when they sum to 0.
  static func entropy(of weights: [Double]) -> Double? {
    let total = weights.reduce(0, +)
    guard total > 0 else { return nil }
    return -weights.reduce(0) { sum, w in
      w > 0 ? sum + (w / total) * Double.log2(w / total) : sum
    }
  }

  /// For each class, the area under the ROC curve of `scores` separating it from the rest: the
  /// Mann–Whitney statistic from ranks, tied scores sharing their mean rank.
  static func rocAreas(scores: [Double], labels: [Int], perClass: [Int]) -> [Double] {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var ranks = [Double](repeating: 0, count: scores.count)
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
      let mean = Double(start + end) / 2 + 1
      for k in start...end { ranks[order[k]] = mean }
      start = end + 1
    }
    var rankSums = [Double](repeating: 0, count: perClass.count)
    for (i, label) in labels.enumerated() { rankSums[label] += ranks[i] }
    let n = Double(scores.count)
    return perClass.indices.map { c in
      let positives = Double(perClass[c])
      return (rankSums[c] - positives * (positives + 1) / 2) / (positives * (n - positives))
    }
  }

  /// The median of the defined entropies (nil when no unit was ever on).
  public var medianEntropy: Double? { Self.median(entropy.compactMap { $0 }) }
  /// The median best-class ROC area.
  public var medianBestArea: Double? { Self.median(bestArea) }

  static func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }
}
