import CDBNClassifiers
import CDBNDatasets
import CDBNStorage
import Foundation

/// `cdbn predict`: applies a saved classifier (a `cdbn classify --out` file) to a feature file, or a
/// CNN (`cdbn train-cnn`) to examples, labelled or not, and writes what it predicts.
///
/// The output (written to a temporary file and renamed) has root attributes `kind` =
/// "cdbn-predictions", `classifier`, `model`, `data`; `/predictions` [N] (in the model's
/// numbering), `/classes` [K] (the model's classes, the columns of the next two), `/scores` [N, K]
/// float32 (linear models: w·x + b; RBF SVM: one-vs-one votes; CNN: output probabilities),
/// `/probabilities` [N, K] float32 where the model has them (softmax, CNN), and, when the model knows
/// its label names, `/class_names` [K] and `/predicted_names` [N]; `/ids` [N] when the data has them.
/// When the data is labelled, its labels are matched by name as `cdbn classify` does, scored, and
/// written too: `/labels`, `/label_names`, `/confusion` with its rows' classes in
/// `/confusion_classes`, attribute `error_percent`.
public enum Prediction {
  /// What a run predicted.
  public struct Result: Sendable {
    public var predictions: [Int]
    /// The predicted class names (nil when the model has no names).
    public var names: [String]?
    /// The model's classes, the columns of `scores`.
    public var classes: [Int]
    /// [N, K] row-major.
    public var scores: [Float]
    public var probabilities: [Float]?
    /// The score against the data's own labels, when it has them.
    public var report: ClassificationReport?
  }

  /// Predicts `dataPath` (rows `rows` of it) with the model at `modelPath`, writes `outputPath`.
  public static func run(
    modelPath: String, dataPath: String, rows: Range<Int>? = nil, outputPath: String,
    strict: Bool = false, reporter: ProgressReporter? = nil
  ) throws -> Result {
    let kind = try ToolFile.kind(of: modelPath)
    let name: String
    let classes: [Int]
    let modelNames: [String]?
    let predicted: [Int]
    let scores: [Float]
    let probabilities: [Float]?
    let labels: [Int]?
    let labelNames: [String]?
    let ids: [String]?
    switch kind {
    case "cdbn-classification":
      let (model, names) = try Classification.loadClassifier(modelPath)
      let data = try FeatureFile.read(dataPath, selection: RowSelection(range: rows))
      (predicted, scores, probabilities) = try PipelineError.naming(dataPath) {
        (
          try model.predict(data.features), try model.scores(data.features),
          try model.probabilityEstimates(data.features)
        )
      }
      (name, classes, modelNames) = (model.kind.rawValue, model.classes, names)
      (labels, labelNames, ids) = (data.labels, data.labelNames, data.ids)
    case "cnn":
      let cnn = try TrainedCNN(path: modelPath)
      let data = try LabelledExamples.load(
        dataPath, grayscale: true, sizing: cnn.sizing, selection: RowSelection(range: rows),
        labelsRequired: false)
      let outputs = try PipelineError.naming(modelPath) { try cnn.probabilities(data.data) }
      (predicted, scores, probabilities) = (
        outputs.predicted, outputs.probabilities, outputs.probabilities
      )
      (name, classes, modelNames) = ("cnn", cnn.classes, cnn.labelNames)
      (labels, labelNames, ids) = (data.labels, data.labelNames, data.ids)
    default:
      throw PipelineError(
        modelPath,
        "is neither a saved classifier (cdbn classify --out) nor a CNN (cdbn train-cnn)")
    }
    var report: ClassificationReport? = nil
    var match: LabelMatch? = nil
    if let labels {
      (report, match) = try Classification.report(
        predicted: predicted, testLabels: labels, testNames: labelNames, testPath: dataPath,
        classifierClasses: classes, classifierNames: modelNames, classifierPath: modelPath,
        strict: strict, reporter: reporter)
    }
    let result = Result(
      predictions: predicted, names: modelNames.map { names in predicted.map { names[$0] } },
      classes: classes, scores: scores, probabilities: probabilities, report: report)
    try PipelineError.naming(outputPath) {
      try HDF5File.atomicWrite(to: outputPath) { file in
        let root = file.root
        let (n, k) = (predicted.count, classes.count)
        try root.setAttribute("kind", "cdbn-predictions")
        try root.setAttribute("classifier", name)
        try root.setAttribute("model", modelPath)
        try root.setAttribute("data", dataPath)
        try root.writeInts("predictions", shape: [n], predicted)
        try root.writeInts("classes", shape: [k], classes)
        try root.writeFloats("scores", shape: [n, k], scores)
        if let probabilities {
          try root.writeFloats("probabilities", shape: [n, k], probabilities)
        }
        if let modelNames, let predictedNames = result.names {
          try root.writeStrings("class_names", classes.map { modelNames[$0] })
          try root.writeStrings("predicted_names", predictedNames)
        }
        if let ids { try root.writeStrings("ids", ids) }
        if let report, let match {
          try root.setAttribute("error_percent", report.errorPercent)
          try root.writeInts("labels", shape: [n], match.labels)
          if let names = match.names { try root.writeStrings(LabelNames.member, names) }
          let c = report.classes.count
          try root.writeInts("confusion_classes", shape: [c], report.classes)
          try root.writeInts("confusion", shape: [c, c], report.confusion.flatMap { $0 })
        }
      }
    }
    return result
  }
}
