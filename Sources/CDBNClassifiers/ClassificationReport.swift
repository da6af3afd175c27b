/// How well predictions match the true labels: error rate, per-class accuracy and the confusion
/// matrix (rows true class, columns predicted class), with a plain-text rendering.
public struct ClassificationReport: Sendable, Equatable {
  /// Every label seen in either the truth or the predictions, ascending; the matrix's row and
  /// column order.
  public let classes: [Int]
  /// confusion[i][j]: examples of class `classes[i]` predicted as `classes[j]`.
  public let confusion: [[Int]]

  public init(trueLabels: [Int], predicted: [Int]) throws {
    guard trueLabels.count == predicted.count else {
      throw ClassifierError.invalidInput(
        "\(trueLabels.count) true labels but \(predicted.count) predictions")
    }
    let classes = Array(Set(trueLabels).union(predicted)).sorted()
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    var confusion = [[Int]](
      repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
    for (t, p) in zip(trueLabels, predicted) { confusion[index[t]!][index[p]!] += 1 }
    self.classes = classes
    self.confusion = confusion
  }

  public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
  public var correct: Int { classes.indices.reduce(0) { $0 + confusion[$1][$1] } }
  /// Correct / total (1 for an empty report).
  public var accuracy: Double { total == 0 ? 1 : Double(correct) / Double(total) }
  /// 100 · (1 − accuracy).
  public var errorPercent: Double { 100 * (1 - accuracy) }

  /// For each class, the fraction of its examples predicted correctly (its recall); nil for a
  /// class that only appears among the predictions.
  public var perClassAccuracy: [Double?] {
    classes.indices.map { i in
      let n = confusion[i].reduce(0, +)
      return n == 0 ? nil : Double(confusion[i][i]) / Double(n)
    }
  }

  /// The summary line, per-class accuracies and the confusion matrix, right-aligned columns.
  public func rendered() -> String {
    var lines = [
      "error \(percent(errorPercent / 100)) (\(total - correct) of \(total) wrong), accuracy \(percent(accuracy))",
      "",
      "per-class accuracy:",
    ]
    for (i, label) in classes.enumerated() {
      let n = confusion[i].reduce(0, +)
      let acc = perClassAccuracy[i].map(percent) ?? "-"
      lines.append("  \(label): \(acc) (\(confusion[i][i]) of \(n))")
    }
    lines.append("")
    lines.append("confusion matrix (rows true, columns predicted):")
    let widest = (classes.map { "\($0)".count } + confusion.flatMap { $0 }.map { "\($0)".count })
    let width = max(6, (widest.max() ?? 0) + 1)
    func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
    lines.append(cell("") + classes.map { cell("\($0)") }.joined())
    for (i, label) in classes.enumerated() {
      lines.append(cell("\(label)") + confusion[i].map { cell("\($0)") }.joined())
    }
    return lines.joined(separator: "\n")
  }
}
