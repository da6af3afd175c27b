import CDBNDatasets
import CDBNStorage

extension FeatureFile {
  /// The one writer of feature files (`features` for pictures and audio, `split`): the root's
  /// `kind`, the column blocks, `/features` [rows] + rowShape written in runs of whole rows, then the
  /// per-row members. What else a file says about itself (its model, data, summary, ...) its maker
  /// sets on `root`. Used inside `HDF5File.atomicWrite`, so a failed run leaves nothing behind.
  struct Writer {
    static let kind = "cdbn-features"

    let root: HDF5Group
    private let features: HDF5Dataset
    private let rowShape: [Int]
    private let rowLength: Int
    private let rowsPerWrite: Int
    private var written = 0
    private var pending: [Float] = []

    init(root: HDF5Group, rows: Int, rowShape: [Int], rowsPerWrite: Int, blocks: [Block]?) throws {
      self.root = root
      self.rowShape = rowShape
      rowLength = rowShape.reduce(1, *)
      self.rowsPerWrite = max(1, rowsPerWrite)
      try root.setAttribute("kind", Self.kind)
      try root.setAttribute("shape", rowShape)
      if let blocks { try FeatureFile.write(blocks: blocks, to: root) }
      features = try root.createDataset(
        "features", type: .float32, shape: [rows] + rowShape,
        chunk: [max(1, min(rows, rowsPerWrite))] + rowShape)
    }

    /// Appends whole rows (a multiple of the row length), writing once enough are gathered.
    mutating func append(_ values: [Float]) throws {
      guard values.count % rowLength == 0 else {
        throw PipelineError(
          root.file.path, "\(values.count) values are not whole rows of \(rowLength)")
      }
      pending += values
      if pending.count >= rowsPerWrite * rowLength { try flush() }
    }

    private mutating func flush() throws {
      let n = pending.count / rowLength
      guard n > 0 else { return }
      try features.writeFloats(
        start: [written] + rowShape.map { _ in 0 }, count: [n] + rowShape, pending)
      written += n
      pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is pending and the per-row members that are given.
    mutating func finish(
      labels: [Int]?, labelNames: [String]?, ids: [String]?, speakers: [String]? = nil
    ) throws {
      try flush()
      if let labels { try root.writeInts("labels", shape: [labels.count], labels) }
      if let labelNames { try root.writeStrings(LabelNames.member, labelNames) }
      if let ids { try root.writeStrings("ids", ids) }
      if let speakers { try root.writeStrings("speakers", speakers) }
    }
  }
}
