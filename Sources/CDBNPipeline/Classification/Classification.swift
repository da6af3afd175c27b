import CDBNClassifiers
import CDBNDatasets
import CDBNNumerics
import CDBNStorage
import Foundation

/// `cdbn classify`: fits a classifier on one feature file and tests it on another, or applies a saved
/// classifier to a feature file.
///
/// Test labels are matched to the classifier's classes by name (`/label_names`, see ``LabelMatch``):
/// a test class the classifier never saw counts as errors in its own confusion row (or is refused
/// with `strict`); files without names are matched by number, with a warning.
///
/// The result file (written to a temporary file and renamed) holds root attributes `kind` =
/// "cdbn-classification", `classifier`, `train`, `test`, `c` (and `gamma`), `error_percent`; the
/// fitted model in `/model` (with its standardisation and `/model/label_names`, the names of its
/// label values); `/predictions`, `/labels` (in the classifier's numbering) and `/ids` of the test
/// set, `/label_names` (the names of that numbering, test classes the classifier never saw last);
/// `/classes`, `/class_names` and `/confusion` [K, K] (rows true, columns predicted); and, when C was
/// chosen by cross-validation, `/cross_validation` with `c`, `gamma` (RBF SVM) and mean held-out
/// `accuracy` per point.
///
/// Any kind of ``ClassifierKinds/all`` can be fitted: the SVMs and softmax from their names, the CNN
/// from `cnnConfig` (its network and training), its input the training file's example shape.
public struct Classification {
  public var kind: ClassifierKind
  /// The network and training of kind cnn (the YAML that `train-cnn` reads, without `input`).
  public var cnnConfig: CNNConfig?
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
  /// Refuse test classes the classifier was not trained on instead of counting them as errors.
  public var strict = false
  /// The cross-validation grid (default: the classifier kind's).
  public var grid: [GridPoint]?
  /// Platt-calibrate an SVM on `folds`-fold cross-validated decision values of the training set, so
  /// that the saved model gives probabilities (`cdbn predict`'s `/probabilities`).
  public var probability = false
  /// Use only these feature blocks (`/feature_blocks` names, as "1", "mfcc") of both files.
  public var blocks: [String]?

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
    var train = try FeatureFile.read(
      trainPath, selection: RowSelection(range: trainRows, limit: trainLimit, seed: seed))
    var test = try FeatureFile.read(testPath, selection: RowSelection(range: testRows))
    if let blocks {
      (train, test) = (try train.selectingBlocks(blocks), try test.selectingBlocks(blocks))
    }
    let testLabels = try test.requireLabels()
    guard train.features.columns == test.features.columns else {
      throw PipelineError(
        testPath,
        "has \(test.features.columns) features per example but \(trainPath) has \(train.features.columns)"
      )
    }
    let labels = try train.requireLabels()
    let started = Date()
    let prototype: any Classifier
    if let cnnConfig {
      guard kind == .cnn else {
        throw PipelineError(cnnConfig.file, "is a CNN config; the classifier is \(kind)")
      }
      var cnn = try cnnConfig.classifier(exampleShape: train.exampleShape)
      reporter?.log("cnn: examples of \(cnn.spec.inputShape), \(cnn.epochs) epoch(s)")
      cnn.epochEnded = { [epochs = cnn.epochs] report in
        reporter?.log("cnn " + report.line(of: epochs))
        try Interruption.check(outputPath ?? trainPath, Self.nothingWritten)
      }
      // A stop request is heard after the next batch, not only at the end of an epoch.
      cnn.batchEnded = { [rows = labels.count] done, loss in
        reporter?.status("cnn: \(done)/\(rows) examples, loss \(String(format: "%.4f", loss))")
        try Interruption.check(outputPath ?? trainPath, Self.nothingWritten)
      }
      prototype = cnn
    } else {
      prototype = try PipelineError.naming(trainPath) { try ClassifierKinds.all.prototype(kind) }
    }
    reporter?.log(
      "\(kind.rawValue): \(labels.count) training examples × \(train.features.columns) features"
        + (c == nil && !prototype.defaultGrid.isEmpty
          ? ", C by \(folds)-fold cross-validation" : ""))
    let trainer = ClassifierTrainer(
      prototype, c: c, gamma: gamma, grid: grid, folds: folds, seed: seed,
      standardize: standardize)
    var outcome = try PipelineError.naming(trainPath) {
      try trainer.fit(train.features, labels: labels) { done, total in
        let elapsed = Date().timeIntervalSince(started)
        reporter?.status(
          "cross-validation: \(done)/\(total) fits, \(ProgressReporter.duration(elapsed / Double(done) * Double(total - done))) left"
        )
        try Interruption.check(outputPath ?? trainPath, Self.nothingWritten)
      }
    }
    try Interruption.check(outputPath ?? trainPath, Self.nothingWritten)
    if let search = outcome.search, let warning = Self.gridEdgeWarning(search) {
      reporter?.log(warning)
    }
    if probability {
      reporter?.status("Platt scaling: \(folds) fits on cross-validation folds")
      try PipelineError.naming(trainPath) {
        try outcome.classifier.calibrateProbabilities(
          train.features, labels: labels, folds: folds, seed: seed)
      }
    }
    let fitSeconds = Date().timeIntervalSince(started)
    let testStarted = Date()
    let predicted = try PipelineError.naming(testPath) {
      try outcome.classifier.predict(test.features)
    }
    let (report, match) = try Self.report(
      predicted: predicted, testLabels: testLabels, testNames: test.labelNames, testPath: testPath,
      classifierClasses: outcome.classifier.classes, classifierNames: train.labelNames,
      classifierPath: trainPath, strict: strict, reporter: reporter)
    let result = Result(
      report: report, search: outcome.search, chosen: outcome.chosen, trainExamples: labels.count,
      fitSeconds: fitSeconds, testSeconds: Date().timeIntervalSince(testStarted))
    if let outputPath {
      try Self.writeResult(
        to: outputPath, classifier: kind.rawValue, report: report, predicted: predicted,
        match: match, testPath: testPath, ids: test.ids
      ) { root in
        try root.setAttribute("train", trainPath)
        try root.setAttribute("train_examples", result.trainExamples)
        if let chosen = result.chosen {
          try root.setAttribute("c", chosen.c)
          if let g = chosen.gamma { try root.setAttribute("gamma", g) }
        }
        let model = try root.createGroup("model")
        try outcome.classifier.save(to: model)
        if let names = train.labelNames { try model.writeStrings(LabelNames.member, names) }
        if let search = result.search {
          let cv = try root.createGroup("cross_validation")
          let p = search.points.count
          try cv.writeDoubles("c", shape: [p], search.points.map(\.c))
          if search.points.contains(where: { $0.gamma != nil }) {
            try cv.writeDoubles("gamma", shape: [p], search.points.map { $0.gamma ?? .nan })
          }
          try cv.writeDoubles("accuracy", shape: [p], search.accuracies)
          try cv.setAttribute("folds", folds)
        }
      }
    }
    return result
  }

  /// Applies the classifier saved in `modelPath` to `testPath`: a `cdbn classify` result's `/model`
  /// (any kind) to a feature file, or a `cdbn train-cnn` file's CNN to labelled pictures.
  public static func apply(
    modelPath: String, testPath: String, testRows: Range<Int>? = nil, outputPath: String?,
    strict: Bool = false, reporter: ProgressReporter? = nil
  ) throws -> ClassificationReport {
    if try ToolFile.kind(of: modelPath) == "cnn" {
      return try applyCNN(
        modelPath: modelPath, testPath: testPath, testRows: testRows, outputPath: outputPath,
        strict: strict, reporter: reporter)
    }
    let (model, names) = try loadClassifier(modelPath)
    let test = try FeatureFile.read(testPath, selection: RowSelection(range: testRows))
    guard let testLabels = test.labels else {
      throw PipelineError(
        testPath,
        "has no /labels to score against; cdbn predict --model \(modelPath) --data \(testPath) --out PREDICTIONS.h5 writes its predictions"
      )
    }
    let predicted = try PipelineError.naming(testPath) { try model.predict(test.features) }
    let (report, match) = try report(
      predicted: predicted, testLabels: testLabels, testNames: test.labelNames,
      testPath: testPath, classifierClasses: model.classes, classifierNames: names,
      classifierPath: modelPath, strict: strict, reporter: reporter)
    if let outputPath {
      try writeResult(
        to: outputPath, classifier: model.kind.rawValue, report: report, predicted: predicted,
        match: match, testPath: testPath, ids: test.ids
      ) { root in
        try root.setAttribute("train", modelPath)
        try root.setAttribute("train_examples", 0)
        let group = try root.createGroup("model")
        try model.save(to: group)
        if let names { try group.writeStrings(LabelNames.member, names) }
      }
    }
    return report
  }

  /// Classifies the labelled examples at `testPath` with the CNN that `train-cnn` saved at
  /// `modelPath`, their labels matched to the CNN's by name; writes a result file (as above,
  /// without `/model`) to `outputPath` when given.
  static func applyCNN(
    modelPath: String, testPath: String, testRows: Range<Int>? = nil, outputPath: String?,
    strict: Bool = false, reporter: ProgressReporter? = nil
  ) throws -> ClassificationReport {
    let cnn = try TrainedCNN(path: modelPath)
    let test = try LabelledExamples.load(
      testPath, grayscale: true, sizing: cnn.sizing, selection: RowSelection(range: testRows))
    let predicted = try PipelineError.naming(modelPath) { try cnn.predict(test.data) }
    let (report, match) = try report(
      predicted: predicted, testLabels: test.labels ?? [], testNames: test.labelNames,
      testPath: testPath, classifierClasses: cnn.classes, classifierNames: cnn.labelNames,
      classifierPath: modelPath, strict: strict, reporter: reporter)
    if let outputPath {
      try writeResult(
        to: outputPath, classifier: "cnn", report: report, predicted: predicted, match: match,
        testPath: testPath, ids: test.ids
      ) { root in
        try root.setAttribute("model", modelPath)
      }
    }
    return report
  }

  /// The classifier saved in a result file's `/model`, with the names of its label values when the
  /// file has them.
  static func loadClassifier(_ path: String) throws -> (StandardizedClassifier, [String]?) {
    try PipelineError.naming(path) {
      let file = try HDF5File(path: path, mode: .readOnly)
      guard file.root.isGroup("model") else {
        throw PipelineError(path, "has no /model group (write one with cdbn classify --out)")
      }
      let group = try file.root.openGroup("model")
      let model = try StandardizedClassifier.load(from: group, kinds: .all)
      var names: [String]? = nil
      if group.contains(LabelNames.member) {
        let read = try group.readStrings(LabelNames.member)
        try LabelNames.validate(read, labels: model.classes, path: path)
        names = read
      }
      return (model, names)
    }
  }

  /// Matches the test labels to the classifier's by name, says what the match had to assume, and
  /// measures the predictions against them.
  static func report(
    predicted: [Int], testLabels: [Int], testNames: [String]?, testPath: String,
    classifierClasses: [Int], classifierNames: [String]?, classifierPath: String, strict: Bool,
    reporter: ProgressReporter?
  ) throws -> (ClassificationReport, LabelMatch) {
    let match = try LabelMatch(
      testLabels: testLabels, testNames: testNames, testPath: testPath,
      classifierClasses: classifierClasses, classifierNames: classifierNames,
      classifierPath: classifierPath, strict: strict)
    for warning in match.warnings { reporter?.log(warning) }
    let report = try ClassificationReport(
      trueLabels: match.labels, predicted: predicted, labelNames: match.names,
      trainedClasses: classifierClasses)
    return (report, match)
  }

  /// Warns when cross-validation chose a C (or γ) at the edge of its grid while the held-out
  /// accuracy was still rising towards that edge: the best value may lie outside the grid.
  static func gridEdgeWarning(_ search: GridSearchResult) -> String? {
    let best = search.best
    let accuracy = search.accuracies
    func edge(
      _ values: [Double], _ value: (GridPoint) -> Double?, _ sameLine: (GridPoint) -> Bool,
      _ name: String, _ option: String
    ) -> String? {
      guard let chosen = value(best), values.count >= 2, let low = values.first,
        let high = values.last
      else { return nil }
      guard chosen == low || chosen == high else { return nil }
      let inward = chosen == low ? values[1] : values[values.count - 2]
      guard
        let neighbour = search.points.indices.first(where: {
          value(search.points[$0]) == inward && sameLine(search.points[$0])
        }), accuracy[search.bestIndex] > accuracy[neighbour]
      else { return nil }
      let side = chosen == low ? "smallest" : "largest"
      let beyond = chosen == low ? chosen / 8 : chosen * 8
      return
        "warning: cross-validation chose \(name) = \(chosen), the \(side) value of its grid, and held-out accuracy was still rising there; widen the grid (\(option) with values towards \(beyond))"
    }
    let cs = Array(Set(search.points.map(\.c))).sorted()
    let gammas = Array(Set(search.points.compactMap(\.gamma))).sorted()
    return edge(cs, { $0.c }, { $0.gamma == best.gamma }, "C", "--c-values")
      ?? edge(gammas, { $0.gamma }, { $0.c == best.c }, "γ", "--gamma-values")
  }

  /// What a stopped `classify` or `predict` says: it has no checkpoint to continue from.
  static let nothingWritten = "nothing was written; run it again"

  /// Writes a result file: what every result holds, then the run's own part (`extra`).
  static func writeResult(
    to path: String, classifier: String, report: ClassificationReport, predicted: [Int],
    match: LabelMatch, testPath: String, ids: [String]?, extra: (HDF5Group) throws -> Void
  ) throws {
    try PipelineError.naming(path) {
      try HDF5File.atomicWrite(to: path) { file in
        let root = file.root
        try root.setAttribute("kind", "cdbn-classification")
        try root.setAttribute("classifier", classifier)
        try root.setAttribute("test", testPath)
        try root.setAttribute("error_percent", report.errorPercent)
        try root.setAttribute("mean_class_accuracy", report.meanClassAccuracy)
        let n = predicted.count
        try root.writeInts("predictions", shape: [n], predicted)
        try root.writeInts("labels", shape: [n], match.labels)
        if let names = match.names { try root.writeStrings(LabelNames.member, names) }
        if let ids { try root.writeStrings("ids", ids) }
        let k = report.classes.count
        try root.writeInts("classes", shape: [k], report.classes)
        try root.writeStrings("class_names", report.classNames)
        try root.writeInts("confusion", shape: [k, k], report.confusion.flatMap { $0 })
        try extra(root)
        // Last chance before the rename: a stop now removes the temporary file.
        try Interruption.check(path, Self.nothingWritten)
      }
    }
  }
}
