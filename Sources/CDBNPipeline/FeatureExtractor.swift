import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNStorage
import Foundation

/// Writes the features of one layer of a model for every example of a data set to an HDF5 file,
/// batch by batch (hyperslab writes), so neither the data nor the features are ever all in memory.
///
/// Layout: `/features` [N, K, Hp, Wp] float32 (or [N, K·Hp·Wp] when flattened), `/labels` [N] and
/// `/ids` [N] when the input has them; root attributes `model`, `layer`, `data`, `kind` = "cdbn-features".
/// Written to a temporary file and renamed, so a failed run leaves no partial file behind.
public struct FeatureExtractor {
  public let modelPath: String
  public let checkpoint: ModelCheckpoint
  /// 1-based layer number.
  public let depth: Int
  public var batchSize = 64
  public var flatten = false

  public init(modelPath: String, depth: Int) throws {
    self.modelPath = modelPath
    checkpoint = try ModelCheckpoint.read(from: modelPath)
    guard depth >= 1, depth <= checkpoint.model.layers.count else {
      throw PipelineError(
        modelPath,
        "has \(checkpoint.model.layers.count) layer(s); --layer must be in 1...\(checkpoint.model.layers.count), got \(depth)"
      )
    }
    self.depth = depth
  }

  /// Extracts features of `dataPath` into `outputPath`; returns the feature shape of one example.
  @discardableResult
  public func run(
    dataPath: String, grayscale: Bool = true, outputPath: String, reporter: ProgressReporter? = nil
  ) throws -> [Int] {
    let source = try PipelineError.naming(dataPath) {
      try openExamples(path: dataPath, grayscale: grayscale)
    }
    let n = source.count
    guard n > 0 else { throw PipelineError(dataPath, "holds no examples") }
    guard let shape = checkpoint.model.outputShape(depth: depth, input: source.exampleShape) else {
      throw PipelineError(
        dataPath,
        "examples of shape \(source.exampleShape) do not fit layer \(depth) of \(modelPath) (first layer expects \(checkpoint.model.layers[0].inputChannels) channel(s) and inputs at least as large as the filters)"
      )
    }
    let per = shape.reduce(1, *)
    let featureShape = flatten ? [per] : shape
    let labels = source.labels
    let ids = source.ids
    let started = Date()
    try PipelineError.naming(outputPath) {
      try HDF5File.atomicWrite(to: outputPath) { file in
        let root = file.root
        try root.setAttribute("kind", "cdbn-features")
        try root.setAttribute("model", modelPath)
        try root.setAttribute("layer", depth)
        try root.setAttribute("data", dataPath)
        try root.setAttribute("shape", featureShape)
        let features = try root.createDataset(
          "features", type: .float32, shape: [n] + featureShape,
          chunk: [min(n, batchSize)] + featureShape)
        var start = 0
        while start < n {
          let end = min(n, start + batchSize)
          let raw = try PipelineError.naming(dataPath) { try source.batch(start..<end) }
          if let bad = raw.firstNonFinite() {
            throw PipelineError(
              dataPath,
              "example \(start + bad / max(1, raw.count / (end - start))) holds NaN or infinity")
          }
          let f = try checkpoint.model.features(raw, depth: depth)
          try features.writeFloats(
            start: [start] + featureShape.map { _ in 0 }, count: [end - start] + featureShape,
            f.scalars)
          reporter?.status(
            "features: \(end)/\(n) examples, \(String(format: "%.0f", Double(end) / Date().timeIntervalSince(started))) examples/s"
          )
          start = end
        }
        if let labels { try root.writeInts("labels", shape: [n], Array(labels.prefix(n))) }
        if let ids { try root.writeStrings("ids", Array(ids.prefix(n))) }
      }
    }
    return featureShape
  }
}
