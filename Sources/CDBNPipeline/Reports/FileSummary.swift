import CDBNDatasets
import CDBNStorage
import Foundation

/// What `cdbn inspect` prints for any file the tool writes, told apart by the root attribute
/// `kind`: CDBN models (``ModelSummary``), CNNs, feature files, classification results and
/// predictions.
public enum FileSummary {
  public static func text(of path: String) throws -> String {
    let kind = try ToolFile.kind(of: path)
    switch kind {
    case "cnn": return try cnn(path)
    case FeatureFile.Writer.kind: return try features(path)
    case "cdbn-classification", "cdbn-predictions": return try results(path, kind: kind)
    default: return ModelSummary.text(of: try ModelCheckpoint.read(from: path), path: path)
    }
  }

  /// Network layers, classes, training state and history of a `train-cnn` file.
  static func cnn(_ path: String) throws -> String {
    let cnn = try TrainedCNN(path: path)
    var out = [
      "\(path): CNN, \(cnn.network.layers.count) layer(s), \(cnn.network.parameterCount) parameters, input \(cnn.network.spec.inputShape)"
    ]
    for (i, layer) in cnn.network.layers.enumerated() {
      out.append("layer \(i + 1): \(layer.kind), output \(cnn.network.shapes[i + 1])")
    }
    out.append("classes: \(names(cnn.classes, cnn.labelNames))")
    try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      let history = try CNNTraining.readHistory(root)
      if let last = history.last {
        out.append(
          String(
            format:
              "training: %d epoch(s), last loss %.4f, training accuracy %.2f %%, %.1f s in all",
            history.count, last.loss, 100 * last.accuracy, history.reduce(0) { $0 + $1.seconds }))
      }
      for attribute in ["data", "init"] where root.hasAttribute(attribute) {
        out.append("\(attribute): \(try root.stringAttribute(attribute))")
      }
    }
    return out.joined(separator: "\n")
  }

  /// Shape, column blocks, labels and provenance of a feature file.
  static func features(_ path: String) throws -> String {
    try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      let shape = try root.openDataset("features").shape
      var out = ["\(path): features, \(shape.map(String.init).joined(separator: " × ")) float32"]
      if let blocks = try FeatureFile.blocks(in: path) {
        out.append(
          "columns: " + blocks.map { "\($0.name) (\($0.count))" }.joined(separator: ", "))
      }
      if root.contains("labels") {
        let labels = try root.readInts("labels").values
        let names: [String]? =
          root.contains(LabelNames.member) ? try root.readStrings(LabelNames.member) : nil
        let counts = Dictionary(labels.map { ($0, 1) }, uniquingKeysWith: +)
        out.append(
          "labels: \(counts.count) classes, "
            + counts.keys.sorted().prefix(20).map { "\(names?[$0] ?? "\($0)") \(counts[$0]!)" }
            .joined(separator: ", ") + (counts.count > 20 ? ", ..." : ""))
      } else {
        out.append("labels: none")
      }
      for attribute in ["model", "data", "summary", "representations", "label"]
      where root.hasAttribute(attribute) {
        out.append("\(attribute): \(try root.stringAttribute(attribute))")
      }
      return out.joined(separator: "\n")
    }
  }

  /// The classifier, its classes and the score of a `classify` or `predict` result.
  static func results(_ path: String, kind: String) throws -> String {
    try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      let what = kind == "cdbn-predictions" ? "predictions" : "classification result"
      let n = try root.readInts("predictions").values.count
      var out = ["\(path): \(what) of \(try root.stringAttribute("classifier")), \(n) rows"]
      if root.contains("class_names") {
        out.append("classes: " + (try root.readStrings("class_names")).joined(separator: ", "))
      } else if root.contains("classes") {
        out.append(
          "classes: "
            + (try root.readInts("classes").values).map(String.init).joined(separator: ", "))
      }
      if root.hasAttribute("error_percent") {
        out.append(String(format: "error: %.2f %%", try root.doubleAttribute("error_percent")))
      }
      for attribute in ["train", "model", "test", "data"] where root.hasAttribute(attribute) {
        out.append("\(attribute): \(try root.stringAttribute(attribute))")
      }
      return out.joined(separator: "\n")
    }
  }

  static func names(_ classes: [Int], _ names: [String]?) -> String {
    classes.map { names?[$0] ?? "\($0)" }.joined(separator: ", ")
  }
}
