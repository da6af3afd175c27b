import CDBNNumerics
import Synchronization

/// Grid search over C (and γ) by stratified K-fold cross-validation.
///
/// Every (grid point, fold) pair is an independent task — fit on the other folds, count the
/// correct predictions on this one — and the tasks run in parallel with `Parallelism.forEach`;
/// each writes only its own slot, so the scores do not depend on the thread count. The best point
/// has the highest accuracy over all held-out examples (correct / N, i.e. the fold accuracies
/// weighted by fold size, compared as exact integer counts); ties go to the smaller C, then to the
/// smaller γ: the simpler, more regularised model.
public enum CrossValidation {
  /// Cross-validates `makeClassifier(point)` at every grid point. Standardisation, when wanted,
  /// belongs inside the classifier (`StandardizedClassifier`) so it is fitted on each training
  /// split only.
  /// `progress` is called (from any worker thread) with the fits done and the fits in all, after
  /// each fit. When it throws (a stop request), no further fit starts and the search rethrows that
  /// error once the fits under way are done.
  public static func gridSearch(
    _ x: FeatureMatrix, labels: [Int], grid: [GridPoint], folds: StratifiedKFold,
    progress: (@Sendable (_ done: Int, _ total: Int) throws -> Void)? = nil,
    makeClassifier: (GridPoint) throws -> any Classifier
  ) throws -> GridSearchResult {
    guard !grid.isEmpty else { throw ClassifierError.invalidParameter("empty grid") }
    _ = try ClassLabels(validating: x, labels: labels)
    let heldOut = try folds.heldOut(labels: labels)
    let k = folds.folds
    var inFold = [Int](repeating: 0, count: x.rows)
    for (f, rows) in heldOut.enumerated() { for r in rows { inFold[r] = f } }
    let training = (0..<k).map { f in (0..<x.rows).filter { inFold[$0] != f } }

    let classifiers = try grid.map(makeClassifier)
    let finished = Atomic<Int>(0)
    let stop = Mutex<(any Error)?>(nil)
    var outcomes = [Result<Int, any Error>](repeating: .success(0), count: grid.count * k)
    outcomes.withUnsafeMutableBufferPointer { out in
      nonisolated(unsafe) let out = out
      Parallelism.forEach(grid.count * k) { task, _ in
        guard stop.withLock({ $0 == nil }) else { return }
        let (point, fold) = (task / k, task % k)
        out[task] = Result {
          var model = classifiers[point]
          try model.fit(
            x.selecting(rows: training[fold]), labels: training[fold].map { labels[$0] })
          let predicted = try model.predict(x.selecting(rows: heldOut[fold]))
          return zip(predicted, heldOut[fold]).reduce(0) { $0 + ($1.0 == labels[$1.1] ? 1 : 0) }
        }
        do {
          try progress?(finished.add(1, ordering: .relaxed).newValue, grid.count * k)
        } catch {
          stop.withLock { if $0 == nil { $0 = error } }
        }
      }
    }
    if let error = stop.withLock({ $0 }) { throw error }
    var correct = [[Int]](repeating: [Int](repeating: 0, count: k), count: grid.count)
    for task in outcomes.indices {
      let (point, fold) = (task / k, task % k)
      do {
        correct[point][fold] = try outcomes[task].get()
      } catch let error as ClassifierError {
        throw error.adding("cross-validation at \(grid[point]), fold \(fold + 1) of \(k)")
      }
    }
    return GridSearchResult(points: grid, correct: correct, foldSizes: heldOut.map(\.count))
  }
}

/// The scores of a grid search, the winner and a plain-text table of them.
public struct GridSearchResult: Sendable {
  public let points: [GridPoint]
  /// Correct held-out predictions, [point][fold].
  public let correct: [[Int]]
  public let foldSizes: [Int]
  /// The index of the best point (see `CrossValidation` for the rule).
  public let bestIndex: Int

  init(points: [GridPoint], correct: [[Int]], foldSizes: [Int]) {
    self.points = points
    self.correct = correct
    self.foldSizes = foldSizes
    let totals = correct.map { $0.reduce(0, +) }
    var best = 0
    for i in points.indices.dropFirst() {
      let (a, b) = (points[i], points[best])
      if totals[i] > totals[best]
        || (totals[i] == totals[best]
          && (a.c < b.c || (a.c == b.c && (a.gamma ?? 0) < (b.gamma ?? 0))))
      {
        best = i
      }
    }
    bestIndex = best
  }

  public var best: GridPoint { points[bestIndex] }

  /// Accuracy over all held-out examples at each point.
  public var accuracies: [Double] {
    let n = Double(foldSizes.reduce(0, +))
    return correct.map { Double($0.reduce(0, +)) / n }
  }

  /// Accuracy of each fold at each point, [point][fold].
  public var foldAccuracies: [[Double]] {
    correct.map { zip($0, foldSizes).map { Double($0) / Double(max($1, 1)) } }
  }

  /// One line per grid point: C (and γ), accuracy, fold accuracies, the best marked with '*'.
  public func rendered() -> String {
    let hasGamma = points.contains { $0.gamma != nil }
    var lines = [
      "\(foldSizes.count)-fold cross-validation, \(foldSizes.reduce(0, +)) examples"
    ]
    lines.append(
      (hasGamma ? "  C        gamma    " : "  C        ") + "accuracy  folds")
    for (i, p) in points.enumerated() {
      let mark = i == bestIndex ? "*" : " "
      var line = mark + " " + pad(formatPower(p.c), 9)
      if hasGamma { line += pad(p.gamma.map(formatPower) ?? "1/D", 9) }
      line += pad(percent(accuracies[i]), 10)
      line += foldAccuracies[i].map(percent).joined(separator: " ")
      lines.append(line)
    }
    lines.append("best: \(best), accuracy \(percent(accuracies[bestIndex]))")
    return lines.joined(separator: "\n")
  }
}

func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// "97.25%".
func percent(_ fraction: Double) -> String {
  let hundredths = Int((fraction * 10000).rounded())
  let frac = hundredths % 100
  return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)%"
}
