import CDBNClassifiers
import CDBNDatasets
import CDBNNumerics
import CDBNStorage

/// A feature file as `cdbn features` writes it: `/features` [N, ...] float32, `/labels` [N],
/// `/label_names` [K] and `/ids` [N] when known. Read whole: the classifiers need every row at once.
public struct FeatureFile: Sendable {
  public let path: String
  /// [N, D]: each example's features flattened.
  public let features: FeatureMatrix
  /// The shape of one example as stored: [K, H, W] for one layer's maps, [D] when flattened.
  public let exampleShape: [Int]
  public let labels: [Int]?
  /// The name of each label value (value k is `labelNames[k]`), when the file has `/label_names`.
  public let labelNames: [String]?
  public let ids: [String]?

  /// The largest feature matrix read into memory (16 GiB of float32).
  static let maximumValues = 1 << 32

  public init(
    path: String, features: FeatureMatrix, exampleShape: [Int]? = nil, labels: [Int]?,
    labelNames: [String]? = nil, ids: [String]?
  ) {
    self.path = path
    self.features = features
    self.exampleShape = exampleShape ?? [features.columns]
    self.labels = labels
    self.labelNames = labelNames
    self.ids = ids
  }

  /// Reads and checks a feature file: rank, size, finiteness, label and id counts. Only the rows
  /// `selection` chooses are read, block by block.
  public static func read(_ path: String, selection: RowSelection = .all) throws -> FeatureFile {
    try PipelineError.naming(path) {
      let file = try HDF5File(path: path, mode: .readOnly)
      let root = file.root
      guard root.contains("features") else {
        throw PipelineError(path, "has no /features dataset (write one with cdbn features)")
      }
      let dataset = try root.openDataset("features")
      let shape = dataset.shape
      guard shape.count >= 2, shape.allSatisfy({ $0 > 0 }) else {
        throw PipelineError(
          path, "/features must be [N, D] or [N, K, H, W] with N, D > 0, is \(shape)")
      }
      let n = shape[0]
      let d = shape.dropFirst().reduce(1, *)
      let rows = try selection.rows(of: n, path: path)
      guard rows.count.multipliedReportingOverflow(by: d).overflow == false,
        rows.count * d <= maximumValues
      else {
        throw PipelineError(path, "/features \(shape) is too large to hold in memory")
      }
      let values = try readRows(dataset, rows: rows, rowLength: d, path: path)
      var labels: [Int]? = nil
      if root.contains("labels") {
        let read = try root.readInts("labels").values
        guard read.count == n else {
          throw PipelineError(path, "/labels has \(read.count) entries but /features has \(n) rows")
        }
        labels = rows.map { read[$0] }
      }
      var labelNames: [String]? = nil
      if root.contains(LabelNames.member) {
        guard labels != nil else {
          throw PipelineError(path, "has /\(LabelNames.member) but no /labels")
        }
        let names = try root.readStrings(LabelNames.member)
        try LabelNames.validate(names, labels: labels, path: path)
        labelNames = names
      }
      var ids: [String]? = nil
      if root.contains("ids") {
        let read = try root.readStrings("ids")
        guard read.count == n else {
          throw PipelineError(path, "/ids has \(read.count) entries but /features has \(n) rows")
        }
        ids = rows.map { read[$0] }
      }
      return FeatureFile(
        path: path, features: try FeatureMatrix(rows: rows.count, columns: d, values: values),
        exampleShape: Array(shape.dropFirst()), labels: labels, labelNames: labelNames, ids: ids)
    }
  }

  /// Rows `rows` of `dataset` (in that order), read in blocks of consecutive rows so that a small
  /// subset of a large file costs only its blocks; checked for NaN and infinity.
  static func readRows(_ dataset: HDF5Dataset, rows: [Int], rowLength d: Int, path: String) throws
    -> [Float]
  {
    let n = dataset.shape[0]
    let rest = Array(dataset.shape.dropFirst())
    var position = [Int](repeating: -1, count: n)
    for (i, r) in rows.enumerated() { position[r] = i }
    var values = [Float](repeating: 0, count: rows.count * d)
    let block = max(1, (1 << 22) / d)
    var start = 0
    while start < n {
      let end = min(n, start + block)
      if position[start..<end].contains(where: { $0 >= 0 }) {
        let read = try dataset.readFloats(
          start: [start] + rest.map { _ in 0 }, count: [end - start] + rest)
        for r in start..<end where position[r] >= 0 {
          let row = read[((r - start) * d)..<((r - start + 1) * d)]
          if row.contains(where: { !$0.isFinite }) {
            throw PipelineError(path, "/features holds NaN or infinity in example \(r)")
          }
          values[(position[r] * d)..<((position[r] + 1) * d)] = row
        }
      }
      start = end
    }
    return values
  }

  /// A run of a feature row's columns that one representation gave (layer "1", "2", "mfcc", ...):
  /// written as `/feature_blocks` with `names` [B] strings and `first`, `count` [B] int64.
  public struct Block: Sendable, Equatable {
    public var name: String
    public var count: Int

    public init(name: String, count: Int) {
      self.name = name
      self.count = count
    }
  }

  static let blocksGroup = "feature_blocks"

  /// Writes `/feature_blocks` for `blocks`, in row order.
  static func write(blocks: [Block], to root: HDF5Group) throws {
    let group = try root.createGroup(blocksGroup)
    let b = blocks.count
    try group.writeStrings("names", blocks.map(\.name))
    var first: [Int] = []
    var column = 0
    for block in blocks {
      first.append(column)
      column += block.count
    }
    try group.writeInts("first", shape: [b], first)
    try group.writeInts("count", shape: [b], blocks.map(\.count))
  }

  /// `/feature_blocks` of a feature file, nil when it has none (files written before it existed).
  public static func blocks(in path: String) throws -> [Block]? {
    try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      guard root.isGroup(blocksGroup) else { return nil }
      let group = try root.openGroup(blocksGroup)
      let names = try group.readStrings("names")
      let counts = try group.readInts("count").values
      guard names.count == counts.count, counts.allSatisfy({ $0 > 0 }) else {
        throw PipelineError(
          path, "/\(blocksGroup) has \(names.count) names for \(counts.count) counts")
      }
      return zip(names, counts).map { Block(name: $0, count: $1) }
    }
  }

  /// This file's features restricted to the columns of the blocks named `names` (`/feature_blocks`:
  /// "1", "2", "mfcc", ...), in the file's column order; an error naming the file when it has no
  /// blocks or lacks one of the names.
  public func selectingBlocks(_ names: [String]) throws -> FeatureFile {
    guard let blocks = try Self.blocks(in: path) else {
      throw PipelineError(
        path, "has no /\(Self.blocksGroup); --blocks needs a file written by cdbn features")
    }
    if let missing = names.first(where: { name in !blocks.contains { $0.name == name } }) {
      throw PipelineError(
        path,
        "has no feature block \"\(missing)\"; its blocks are \(blocks.map(\.name).joined(separator: ", "))"
      )
    }
    var columns: [Int] = []
    var first = 0
    for block in blocks {
      if names.contains(block.name) { columns += Array(first..<(first + block.count)) }
      first += block.count
    }
    return FeatureFile(
      path: path, features: features.selecting(columns: columns), labels: labels,
      labelNames: labelNames, ids: ids)
  }

  /// The labels, or an error naming the file when it has none.
  public func requireLabels() throws -> [Int] {
    guard let labels else {
      throw PipelineError(path, "has no /labels; a classifier needs the true class of each example")
    }
    return labels
  }
}
