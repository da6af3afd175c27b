import CDBNNumerics
import Synchronization
import Testing

@testable import CDBNClassifiers

@Suite struct CrossValidationTests {
  @Test func stratifiedFoldsCoverEveryRowOnceWithBalancedClasses() throws {
    let labels = (0..<103).map { $0 % 7 == 0 ? 5 : ($0 % 3 == 0 ? 1 : 2) }
    let split = try StratifiedKFold(folds: 4, seed: 9)
    let folds = try split.heldOut(labels: labels)
    #expect(folds.flatMap { $0 }.sorted() == Array(0..<103))
    let sizes = folds.map(\.count)
    #expect(sizes.max()! - sizes.min()! <= 1)
    for label in Set(labels) {
      let total = labels.filter { $0 == label }.count
      for fold in folds {
        let n = fold.filter { labels[$0] == label }.count
        #expect(n == total / 4 || n == total / 4 + 1)
      }
    }
    #expect(try split.heldOut(labels: labels) == folds)
    #expect(try StratifiedKFold(folds: 4, seed: 10).heldOut(labels: labels) != folds)
  }

  /// 40 examples of label 0 at x ∈ [1, 2] and 10 of label 1 at x ∈ [3, 4], not standardised. With a
  /// tiny C the SVM's weights (and bias) shrink towards α ≈ 2C: w·x + b ≈ 2C(Σyx·x + Σy) =
  /// 2C(−25x − 30) < 0 everywhere, so every example is called 0 (80 %). C = 1 and C = 8 both
  /// separate the classes (100 %): the tie must go to the smaller C, 1, wherever it sits in the grid.
  @Test func gridSearchPicksTheSmallestBestC() throws {
    var values: [Float] = []
    var labels: [Int] = []
    for i in 0..<50 {
      let isOne = i % 5 == 0
      values.append((isOne ? 3 : 1) + Float(i % 7) / 7)
      labels.append(isOne ? 1 : 0)
    }
    let x = try FeatureMatrix(rows: 50, columns: 1, values: values)
    let grid = [GridPoint(c: 8), GridPoint(c: 0.0078125), GridPoint(c: 1)]
    let reports = Mutex<[Int]>([])
    let result = try CrossValidation.gridSearch(
      x, labels: labels, grid: grid, folds: try StratifiedKFold(folds: 5, seed: 1),
      progress: { done, total in
        #expect(total == 15)
        reports.withLock { $0.append(done) }
      }
    ) { LinearSVM(c: $0.c) }
    // One report per fit, counting every fit once.
    #expect(reports.withLock { $0.sorted() } == Array(1...15))
    #expect(result.accuracies[1] == 0.8)
    #expect(result.accuracies[0] == 1 && result.accuracies[2] == 1)
    #expect(result.best == GridPoint(c: 1))
    #expect(result.rendered().contains("* 2^0"))
  }

  @Test func gridSearchDoesNotDependOnThreadCount() throws {
    let (x, y) = blobs(
      centers: [[0, 0], [1, 0.5], [0.5, 1]], perClass: 30, spread: 0.7, seed: 31)
    let before = Parallelism.threads
    defer { Parallelism.threads = before }
    var results: [[[Int]]] = []
    for threads in [1, 2] {
      Parallelism.threads = threads
      let r = try CrossValidation.gridSearch(
        x, labels: y, grid: GridPoint.powersOfTwo(c: -3...1), folds: try StratifiedKFold(folds: 3)
      ) { StandardizedClassifier(SoftmaxRegression(c: $0.c)) }
      results.append(r.correct)
    }
    #expect(results[0] == results[1])
  }

  @Test func trainerChoosesCAndRefits() throws {
    let (x, y) = blobs(centers: [[0, 0, 5], [2, 2, 5]], perClass: 30, spread: 0.6, seed: 32)
    let trainer = try ClassifierTrainer(
      kind: .linearSVM, grid: GridPoint.powersOfTwo(c: -2...2), folds: 3)
    let outcome = try trainer.fit(x, labels: y)
    let search = try #require(outcome.search)
    #expect(outcome.chosen == search.best)
    #expect(search.points.count == 5)
    #expect(accuracy(try outcome.classifier.predict(x), y) > 0.9)
    // With C given there is no search.
    let fixed = try ClassifierTrainer(kind: .softmax, c: 1).fit(x, labels: y)
    #expect(fixed.search == nil && fixed.chosen == GridPoint(c: 1))
  }

  @Test func rbfGridWithFixedGammaSearchesC() throws {
    let trainer = try ClassifierTrainer(kind: .rbfSVM, gamma: 0.5)
    #expect(trainer.searchGrid.count == 11)
    #expect(trainer.searchGrid.allSatisfy { $0.gamma == 0.5 })
    #expect(KernelSVM().defaultGrid.count == 110)
    #expect(SoftmaxRegression().defaultGrid.map(\.c).first == 1.0 / 128)
  }

  @Test func tooFewExamplesForTheFoldsIsAnError() throws {
    let (x, y) = blobs(centers: [[0], [1]], perClass: 2, spread: 0.1, seed: 33)
    #expect(throws: ClassifierError.self) {
      _ = try CrossValidation.gridSearch(
        x, labels: y, grid: [GridPoint(c: 1)], folds: try StratifiedKFold(folds: 5)
      ) { LinearSVM(c: $0.c) }
    }
    #expect(throws: ClassifierError.self) { _ = try StratifiedKFold(folds: 1) }
  }
}
