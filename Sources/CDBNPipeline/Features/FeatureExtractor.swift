import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNStorage
import Foundation

/// Writes the features of one layer (or several, joined) of a model for every example of a data set
/// to an HDF5 file, batch by batch (hyperslab writes), so neither the data nor the features are ever
/// all in memory.
///
/// Layout: `/features` [N, K, Hp, Wp] float32 (or [N, K·Hp·Wp] when flattened; several layers are
/// always flattened and joined in the order given), `/labels` [N], `/label_names` [K] (the name of
/// each label value: class folders, MNIST's digits) and `/ids` [N] when the input has them;
/// `/feature_blocks` (which columns each layer gave, see `FeatureFile.Block`); root attributes
/// `model`, `layers`, `data`, `kind` = "cdbn-features" (and `layer` for one).
/// Written to a temporary file and renamed, so a failed run leaves no partial file behind.
///
/// Under `mpirun` each batch is split into contiguous shares, one per process; rank 0 gathers the
/// rows and alone writes the file, which is the same, byte for byte in its datasets, as a single
/// process's.
public struct FeatureExtractor {
  public let modelPath: String
  public let checkpoint: ModelCheckpoint
  /// 1-based layer numbers whose features are written.
  public let depths: [Int]
  public var batchSize = 64
  public var flatten = false
  /// Pool each layer's maps over a spatial pyramid into a fixed-length vector, picture by picture,
  /// so pictures may differ in size (Caltech-101 at 150 pixels on the longer side).
  public var pyramid: SpatialPyramid?
  /// The most memory a batch may need, in bytes (see `BatchMemory`); half the machine's by default.
  public var memoryBudget = BatchMemory.defaultBudget
  /// The processes that share the batches (one without `mpirun`).
  public var processes: any ProcessGroup = SingleProcess()

  public init(modelPath: String, depth: Int) throws {
    try self.init(modelPath: modelPath, depths: [depth])
  }

  public init(modelPath: String, depths: [Int]) throws {
    try self.init(
      modelPath: modelPath, checkpoint: ModelCheckpoint.read(from: modelPath),
      representations: depths.map { .layer($0) })
  }

  /// Around a checkpoint already read from `modelPath`; `representations` are layers (MFCCs are
  /// for audio models).
  public init(
    modelPath: String, checkpoint: ModelCheckpoint, representations: [FeatureRepresentation]
  ) throws {
    try FeatureRepresentation.check(
      representations, layers: checkpoint.model.layers.count, audio: false, modelPath: modelPath)
    _ = try PipelineError.naming(modelPath) { try checkpoint.model.imageFrontEnd() }
    self.modelPath = modelPath
    self.checkpoint = checkpoint
    depths = representations.compactMap { if case .layer(let l) = $0 { l } else { nil } }
  }

  /// Extracts features of `dataPath` into `outputPath`; returns the feature shape of one example.
  @discardableResult
  public func run(
    dataPath: String, grayscale: Bool = true, sizing: ImageFolder.Sizing = .original,
    outputPath: String, reporter: ProgressReporter? = nil
  ) throws -> [Int] {
    let source = try PipelineError.naming(dataPath) {
      try openExamples(path: dataPath, grayscale: grayscale, sizing: sizing)
    }
    let n = source.count
    guard n > 0 else { throw PipelineError(dataPath, "holds no examples") }
    var shapes: [[Int]] = []
    for depth in depths {
      guard let shape = checkpoint.model.outputShape(depth: depth, input: source.exampleShape)
      else {
        throw PipelineError(
          dataPath,
          "examples of shape \(source.exampleShape) do not fit layer \(depth) of \(modelPath) (first layer expects \(checkpoint.model.layers[0].inputChannels) channel(s) and inputs at least as large as the filters)"
        )
      }
      shapes.append(shape)
    }
    let layers = checkpoint.model.layers.prefix(depths.max() ?? 0).map { l in
      BatchMemory.Layer(filters: l.outputChannels, pooling: l.pooling) {
        l.outputSize(height: $0, width: $1)
      }
    }
    let needed = BatchMemory.bytes(
      example: source.exampleShape, batch: min(batchSize, n), layers: Array(layers))
    if let refusal = BatchMemory.refusal(
      needed: needed, budget: memoryBudget, example: source.exampleShape,
      batch: min(batchSize, n), advice: "use a smaller --batch-size or smaller pictures")
    {
      throw PipelineError(dataPath, refusal)
    }
    let sizes = shapes.map { pyramid?.length(channels: $0[0]) ?? $0.reduce(1, *) }
    let per = sizes.reduce(0, +)
    let featureShape = flatten || depths.count > 1 || pyramid != nil ? [per] : shapes[0]
    let labels = source.labels
    let ids = source.ids
    let started = Date()
    // Every process computes its share of each batch; rank 0 writes what the shares gathered.
    func extract(into writer: inout FeatureFile.Writer?) throws {
      var start = 0
      var rows: [Float] = []
      while start < n {
        try Interruption.check(
          outputPath, across: processes, "it was not written; run the command again")
        let end = min(n, start + batchSize)
        let shares = processes.shares(of: end - start)
        let mine = shares[processes.rank]
        rows.removeAll(keepingCapacity: true)
        rows.append(contentsOf: repeatElement(0, count: (end - start) * per))
        if !mine.isEmpty {
          let range = (start + mine.lowerBound)..<(start + mine.upperBound)
          let joined: [Float]
          if let pyramid {
            joined = try pyramidRows(range, of: source, dataPath: dataPath, pyramid: pyramid)
          } else {
            let raw = try Self.finite(
              PipelineError.naming(dataPath) { try source.batch(range) }, range, dataPath: dataPath)
            joined = Self.joined(
              try checkpoint.model.features(raw, depths: depths), sizes: sizes,
              examples: range.count)
          }
          rows.replaceSubrange(
            (mine.lowerBound * per)..<(mine.upperBound * per), with: joined)
        }
        try processes.gatherToLeader(&rows, counts: shares.map { $0.count * per })
        try writer?.append(rows)
        reporter?.status(
          "features: \(end)/\(n) examples, \(String(format: "%.0f", Double(end) / Date().timeIntervalSince(started))) examples/s"
        )
        start = end
      }
    }
    guard processes.isLeader else {
      var none: FeatureFile.Writer? = nil
      try extract(into: &none)
      return featureShape
    }
    try PipelineError.naming(outputPath) {
      try HDF5File.atomicWrite(to: outputPath) { file in
        var writer: FeatureFile.Writer? = try FeatureFile.Writer(
          root: file.root, rows: n, rowShape: featureShape, rowsPerWrite: batchSize,
          blocks: zip(depths, sizes).map { FeatureFile.Block(name: "\($0)", count: $1) })
        let root = file.root
        try root.setAttribute("model", modelPath)
        try root.setAttribute("layers", depths)
        if depths.count == 1 { try root.setAttribute("layer", depths[0]) }
        if let pyramid {
          try root.setAttribute("pyramid_levels", pyramid.levels)
          try root.setAttribute("pyramid_pooling", pyramid.pooling.rawValue)
        }
        try root.setAttribute("data", dataPath)
        try root.setAttribute("world_size", processes.size)
        try extract(into: &writer)
        try writer?.finish(
          labels: labels.map { Array($0.prefix(n)) }, labelNames: source.labelNames,
          ids: ids.map { Array($0.prefix(n)) })
      }
    }
    return featureShape
  }

  /// `batch`, or an error naming `dataPath` and the first example of `range` that holds NaN or
  /// infinity.
  static func finite(_ batch: Tensor, _ range: Range<Int>, dataPath: String) throws -> Tensor {
    if let bad = batch.firstNonFinite() {
      throw PipelineError(
        dataPath,
        "example \(range.lowerBound + bad / max(1, batch.count / range.count)) holds NaN or infinity"
      )
    }
    return batch
  }

  /// Each example of `range` with each layer's maps pooled over `pyramid`, the layers joined.
  /// Examples of one size (MNIST, HDF5 tensors) go through the model a batch at a time, on every
  /// core; pictures kept at their own size go one at a time.
  private func pyramidRows(
    _ range: Range<Int>, of source: any ExampleSource, dataPath: String, pyramid: SpatialPyramid
  ) throws -> [Float] {
    var rows: [Float] = []
    guard source is any VariableSizeExamples else {
      let raw = try Self.finite(
        PipelineError.naming(dataPath) { try source.batch(range) }, range, dataPath: dataPath)
      let outputs = try checkpoint.model.features(raw, depths: depths)
      for e in 0..<range.count {
        for output in outputs { Self.append(pyramid, of: output, example: e, to: &rows) }
      }
      return rows
    }
    for i in range {
      let raw = try Self.finite(
        PipelineError.naming(dataPath) { try source.single(i) }, i..<(i + 1), dataPath: dataPath)
      let shape = Array(raw.shape.dropFirst())
      guard depths.allSatisfy({ checkpoint.model.outputShape(depth: $0, input: shape) != nil })
      else {
        let name = source.ids.map { "\"\($0[i])\"" } ?? "\(i)"
        throw PipelineError(
          dataPath,
          "example \(name) of shape \(shape) is too small for layer \(depths.max() ?? 0) of \(modelPath); use a larger --longest-side or --size"
        )
      }
      for output in try checkpoint.model.features(raw, depths: depths) {
        Self.append(pyramid, of: output, example: 0, to: &rows)
      }
    }
    return rows
  }

  /// Example `e`'s maps of `output` [N, K, H, W], pooled over `pyramid`, appended to `rows`.
  private static func append(
    _ pyramid: SpatialPyramid, of output: Tensor, example e: Int, to rows: inout [Float]
  ) {
    let (_, k, h, w) = output.dims4
    output.scalars.withUnsafeBufferPointer {
      let maps = UnsafeBufferPointer(rebasing: $0[(e * k * h * w)..<((e + 1) * k * h * w)])
      rows.append(contentsOf: pyramid.pooled(maps, channels: k, height: h, width: w))
    }
  }

  /// Per example, each layer's features one after the other.
  static func joined(_ outputs: [Tensor], sizes: [Int], examples: Int) -> [Float] {
    if outputs.count == 1 { return outputs[0].scalars }
    let per = sizes.reduce(0, +)
    var joined = [Float](repeating: 0, count: examples * per)
    for e in 0..<examples {
      var offset = e * per
      for (output, size) in zip(outputs, sizes) {
        joined[offset..<(offset + size)] = output.scalars[(e * size)..<((e + 1) * size)]
        offset += size
      }
    }
    return joined
  }
}
