import CDBNClassifiers
import CDBNNumerics
import CDBNStorage
import Foundation

/// `cdbn classify`: fits a classifier on one feature file and tests it on another, or applies a saved
/// classifier to a feature file.
///
/// The result file (written to a temporary file and renamed) holds root attributes `kind` =
/// "cdbn-classification", `classifier`, `train`, `test`, `c` (and `gamma`), `error_percent`; the
/// fitted model in `/model` (with its standardisation); `/predictions`, `/labels`, `/ids` of the test
/// set; `/classes` and `/confusion` [K, K] (rows true, columns predicted); and, when C was chosen
/// by cross-validation, `/cross_validation` with `c`, `gamma` and mean held-out `accuracy` per point.
public struct Classification {
  public var kind: ClassifierKind
  /// Nil: chosen by cross-validation.
  public var c: Double?
  public var gamma: Double?
  public var folds = 5
  /// Keys the folds and the training subset.
  public var seed: UInt64 = 1
  /// Train on this many randomly chosen training examples (all when nil).
  public var trainLimit: Int?
  /// Use only these rows of the training file (a validation split cut from one file, say).
  public var trainRows: Range<Int>?
  /// Test on only these rows of the test file.
  public var testRows: Range<Int>?
  public var standardize = true
  /// The cross-validation grid (default: the classifier kind's).
  public var grid: [GridPoint]?

  public init(kind: ClassifierKind) { self.kind = kind }

  /// What a run measured.
  public struct Result: Sendable {
    public var report: ClassificationReport
    public var search: GridSearchResult?
    public var chosen: GridPoint?
    public var trainExamples: Int
    public var fitSeconds: Double
    public var testSeconds: Double
  }

  /// Fits on `trainPath`, tests on `testPath`, writes `outputPath` when given.
  public func run(
    trainPath: String, testPath: String, outputPath: String?, reporter: ProgressReporter? = nil
  ) throws -> Result {
    if let limit = trainLimit, limit < 2 {
      throw PipelineError(trainPath, "cannot train on \(limit) example(s)")
    }
    let train = try FeatureFile.read(
      trainPath, selection: RowSelection(range: trainRows, limit: trainLimit, seed: seed))
    let test = try FeatureFile.read(testPath, selection: RowSelection(range: testRows))
    let testLabels = try test.requireLabels()
    guard train.features.columns == test.features.columns else {
      throw PipelineError(
        testPath,
        "has \(test.features.columns) features per example but \(trainPath) has \(train.features.columns)"
      )
    }
    let labels = try train.requireLabels()
    reporter?.log(
      "\(kind.rawValue): \(labels.count) training examples × \(train.features.columns) features"
        + (c == nil ? ", C by \(folds)-fold cross-validation" : ""))
    let started = Date()
    let trainer = ClassifierTrainer(
      kind: kind, c: c, gamma: gamma, grid: grid, folds: folds, seed: seed,
      standardize: standardize)
    let outcome = try PipelineError.naming(trainPath) {
      try trainer.fit(train.features, labels: labels)
    }
    let fitSeconds = Date().timeIntervalSince(started)
    let testStarted = Date()
    let predicted = try PipelineError.naming(testPath) {
      try outcome.classifier.predict(test.features)
    }
    let report = try ClassificationReport(trueLabels: testLabels, predicted: predicted)
    let result = Result(
      report: report, search: outcome.search, chosen: outcome.chosen, trainExamples: labels.count,
      fitSeconds: fitSeconds, testSeconds: Date().timeIntervalSince(testStarted))
    if let outputPath {
      try write(
        outputPath, model: outcome.classifier, result: result, test: test, predicted: predicted,
        trainPath: trainPath)
    }
    return result
  }

  /// Applies the classifier saved in `modelPath` (a `cdbn classify` result) to `testPath`.
  public static func apply(
    modelPath: String, testPath: String, testRows: Range<Int>? = nil, outputPath: String?
  ) throws -> ClassificationReport {
    let model = try PipelineError.naming(modelPath) {
      let file = try HDF5File(path: modelPath, mode: .readOnly)
      guard file.root.isGroup("model") else {
        throw PipelineError(modelPath, "has no /model group (write one with cdbn classify --out)")
      }
      return try StandardizedClassifier.load(from: try file.root.openGroup("model"))
    }
    let test = try FeatureFile.read(testPath, selection: RowSelection(range: testRows))
    let predicted = try PipelineError.naming(testPath) { try model.predict(test.features) }
    let report = try ClassificationReport(
      trueLabels: try test.requireLabels(), predicted: predicted)
    if let outputPath {
      var run = Classification(kind: model.kind)
      run.c = nil
      let result = Result(
        report: report, search: nil, chosen: nil, trainExamples: 0, fitSeconds: 0, testSeconds: 0)
      try run.write(
        outputPath, model: model, result: result, test: test, predicted: predicted,
        trainPath: modelPath)
    }
    return report
  }

  /// Classifies the labelled examples at `testPath` with the CNN saved at `modelPath`; writes
  /// `/predictions`, `/labels`, `/classes` and `/confusion` to `outputPath` when given.
  public static func applyCNN(
    modelPath: String, testPath: String, testRows: Range<Int>? = nil, outputPath: String?
  ) throws -> ClassificationReport {
    let cnn = try TrainedCNN(path: modelPath)
    let (data, labels) = try LabelledExamples.load(
      testPath, grayscale: true, selection: RowSelection(range: testRows))
    let predicted = try PipelineError.naming(modelPath) { try cnn.predict(data) }
    let report = try ClassificationReport(trueLabels: labels, predicted: predicted)
    if let outputPath {
      try PipelineError.naming(outputPath) {
        try HDF5File.atomicWrite(to: outputPath) { file in
          let root = file.root
          try root.setAttribute("kind", "cdbn-classification")
          try root.setAttribute("classifier", "cnn")
          try root.setAttribute("model", modelPath)
          try root.setAttribute("test", testPath)
          try root.setAttribute("error_percent", report.errorPercent)
          try root.writeInts("predictions", shape: [predicted.count], predicted)
          try root.writeInts("labels", shape: [labels.count], labels)
          let k = report.classes.count
          try root.writeInts("classes", shape: [k], report.classes)
          try root.writeInts("confusion", shape: [k, k], report.confusion.flatMap { $0 })
        }
      }
    }
    return report
  }

  func write(
    _ path: String, model: StandardizedClassifier, result: Result, test: FeatureFile,
    predicted: [Int], trainPath: String
  ) throws {
    try PipelineError.naming(path) {
      try HDF5File.atomicWrite(to: path) { file in
        let root = file.root
        try root.setAttribute("kind", "cdbn-classification")
        try root.setAttribute("classifier", kind.rawValue)
        try root.setAttribute("train", trainPath)
        try root.setAttribute("test", test.path)
        try root.setAttribute("train_examples", result.trainExamples)
        try root.setAttribute("error_percent", result.report.errorPercent)
        if let chosen = result.chosen {
          try root.setAttribute("c", chosen.c)
          if let g = chosen.gamma { try root.setAttribute("gamma", g) }
        }
        try model.save(to: try root.createGroup("model"))
        let n = predicted.count
        try root.writeInts("predictions", shape: [n], predicted)
        if let labels = test.labels { try root.writeInts("labels", shape: [n], labels) }
        if let ids = test.ids { try root.writeStrings("ids", ids) }
        let k = result.report.classes.count
        try root.writeInts("classes", shape: [k], result.report.classes)
        try root.writeInts("confusion", shape: [k, k], result.report.confusion.flatMap { $0 })
        if let search = result.search {
          let cv = try root.createGroup("cross_validation")
          let p = search.points.count
          try cv.writeDoubles("c", shape: [p], search.points.map(\.c))
          try cv.writeDoubles("gamma", shape: [p], search.points.map { $0.gamma ?? .nan })
          try cv.writeDoubles("accuracy", shape: [p], search.accuracies)
          try cv.setAttribute("folds", folds)
        }
      }
    }
  }
}
