import CDBNClassifiers
import CDBNStorage

/// A feature file as `cdbn features` writes it: `/features` [N, ...] float32, `/labels` [N] and
/// `/ids` [N] when known. Read whole: the classifiers need every row at once.
public struct FeatureFile: Sendable {
  public let path: String
  /// [N, D]: each example's features flattened.
  public let features: FeatureMatrix
  public let labels: [Int]?
  public let ids: [String]?

  /// The largest feature matrix read into memory (16 GiB of float32).
  static let maximumValues = 1 << 32

  public init(path: String, features: FeatureMatrix, labels: [Int]?, ids: [String]?) {
    self.path = path
    self.features = features
    self.labels = labels
    self.ids = ids
  }

  /// Reads and checks a feature file: rank, size, finiteness, label and id counts.
  public static func read(_ path: String) throws -> FeatureFile {
    try PipelineError.naming(path) {
      let file = try HDF5File(path: path, mode: .readOnly)
      let root = file.root
      guard root.contains("features") else {
        throw PipelineError(path, "has no /features dataset (write one with cdbn features)")
      }
      let dataset = try root.openDataset("features")
      let shape = dataset.shape
      guard shape.count >= 2, shape.allSatisfy({ $0 > 0 }) else {
        throw PipelineError(path, "/features must be [N, D] or [N, K, H, W] with N, D > 0, is \(shape)")
      }
      let n = shape[0]
      let d = shape.dropFirst().reduce(1, *)
      guard n.multipliedReportingOverflow(by: d).overflow == false, n * d <= maximumValues else {
        throw PipelineError(path, "/features \(shape) is too large to hold in memory")
      }
      let values = try root.readFloats("features").values
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw PipelineError(path, "/features holds NaN or infinity in example \(bad / d)")
      }
      var labels: [Int]? = nil
      if root.contains("labels") {
        let read = try root.readInts("labels").values
        guard read.count == n else {
          throw PipelineError(path, "/labels has \(read.count) entries but /features has \(n) rows")
        }
        labels = read
      }
      var ids: [String]? = nil
      if root.contains("ids") {
        let read = try root.readStrings("ids")
        guard read.count == n else {
          throw PipelineError(path, "/ids has \(read.count) entries but /features has \(n) rows")
        }
        ids = read
      }
      return FeatureFile(
        path: path, features: try FeatureMatrix(rows: n, columns: d, values: values),
        labels: labels, ids: ids)
    }
  }

  /// The labels, or an error naming the file when it has none.
  public func requireLabels() throws -> [Int] {
    guard let labels else {
      throw PipelineError(path, "has no /labels; a classifier needs the true class of each example")
    }
    return labels
  }

  /// The rows at `indices`, in that order.
  public func selecting(rows indices: [Int]) -> FeatureFile {
    FeatureFile(
      path: path, features: features.selecting(rows: indices),
      labels: labels.map { l in indices.map { l[$0] } }, ids: ids.map { i in indices.map { i[$0] } })
  }
}
