/// How well predictions match the true labels: error rate, per-class accuracy and the confusion
/// matrix (rows true class, columns predicted class), with a plain-text rendering.
public struct ClassificationReport: Sendable, Equatable {
  /// Every label seen in either the truth or the predictions, ascending; the matrix's row and
  /// column order.
  public let classes: [Int]
  /// confusion[i][j]: examples of class `classes[i]` predicted as `classes[j]`.
  public let confusion: [[Int]]

  /// The name of each class in `classes`: its label name when the files have names, else its
  /// number.
  public let classNames: [String]
  /// Classes of the truth that the classifier was never trained on (their examples all count as
  /// errors), ascending.
  public let untrained: [Int]

  /// - Parameters:
  ///   - labelNames: the name of each label value (value k is `labelNames[k]`); must name every
  ///     label in `trueLabels` and `predicted`. Classes are shown by number when nil.
  ///   - trainedClasses: the classes the classifier knows; true classes outside them are marked
  ///     as never trained on. Nil: not known.
  public init(
    trueLabels: [Int], predicted: [Int], labelNames: [String]? = nil, trainedClasses: [Int]? = nil
  ) throws {
    guard trueLabels.count == predicted.count else {
      throw ClassifierError.invalidInput(
        "\(trueLabels.count) true labels but \(predicted.count) predictions")
    }
    let classes = Array(Set(trueLabels).union(predicted)).sorted()
    if let labelNames, let unnamed = classes.first(where: { $0 < 0 || $0 >= labelNames.count }) {
      throw ClassifierError.invalidInput(
        "label \(unnamed) has no name among the \(labelNames.count) label names")
    }
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    var confusion = [[Int]](
      repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
    for (t, p) in zip(trueLabels, predicted) { confusion[index[t]!][index[p]!] += 1 }
    self.classes = classes
    self.confusion = confusion
    classNames = classes.map { labelNames?[$0] ?? "\($0)" }
    if let trainedClasses {
      untrained = Set(trueLabels).subtracting(trainedClasses).sorted()
    } else {
      untrained = []
    }
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

  /// The mean of the per-class accuracies over the classes of the truth (how Caltech-101 is
  /// scored, so that large classes do not dominate); 1 for an empty report.
  public var meanClassAccuracy: Double {
    let recalls = perClassAccuracy.compactMap { $0 }
    return recalls.isEmpty ? 1 : recalls.reduce(0, +) / Double(recalls.count)
  }

  /// The summary line, per-class accuracies and the confusion matrix, right-aligned columns.
  public func rendered() -> String {
    var lines = [
      "error \(percent(errorPercent / 100)) (\(total - correct) of \(total) wrong), accuracy \(percent(accuracy)), mean per-class accuracy \(percent(meanClassAccuracy))",
      "",
      "per-class accuracy:",
    ]
    let untrainedSet = Set(untrained)
    for (i, name) in classNames.enumerated() {
      let n = confusion[i].reduce(0, +)
      let acc = perClassAccuracy[i].map(percent) ?? "-"
      let note = untrainedSet.contains(classes[i]) ? ", never in training" : ""
      lines.append("  \(name): \(acc) (\(confusion[i][i]) of \(n))\(note)")
    }
    lines.append("")
    lines.append("confusion matrix (rows true, columns predicted):")
    let widest = (classNames.map(\.count) + confusion.flatMap { $0 }.map { "\($0)".count })
    let width = max(6, (widest.max() ?? 0) + 1)
    func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
    lines.append(cell("") + classNames.map(cell).joined())
    for (i, name) in classNames.enumerated() {
      lines.append(cell(name) + confusion[i].map { cell("\($0)") }.joined())
    }
    return lines.joined(separator: "\n")
  }
}
