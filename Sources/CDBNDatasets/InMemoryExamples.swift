import CDBNNumerics

/// Examples already in memory: a tensor [N, C, H, W] with optional labels and ids.
///
/// MNIST (IDX or CSV) is small enough to load whole, so its readers return this.
public struct InMemoryExamples: ExampleSource, Sendable, Equatable {
  /// All examples, [N, C, H, W].
  public let tensor: Tensor
  public let labels: [Int]?
  public let labelNames: [String]?
  public let ids: [String]?
  /// Where the examples came from, for error messages.
  public let name: String

  /// Wraps `tensor` [N, C, H, W]; `labels` and `ids`, when given, must have N entries, every
  /// value must be finite, and `labelNames` must name every label (see ``LabelNames``).
  public init(
    _ tensor: Tensor, labels: [Int]? = nil, labelNames: [String]? = nil, ids: [String]? = nil,
    name: String = "<memory>"
  )
    throws
  {
    guard tensor.rank == 4 else {
      throw DatasetError(
        .badShape, path: name, "examples must have shape [N, C, H, W], got \(tensor.shape)")
    }
    let n = tensor.shape[0]
    if let labels, labels.count != n {
      throw DatasetError(.badShape, path: name, "\(labels.count) labels for \(n) examples")
    }
    if let labelNames {
      guard labels != nil else {
        throw DatasetError(.badShape, path: name, "label names given without labels")
      }
      try LabelNames.validate(labelNames, labels: labels, path: name)
    }
    if let ids, ids.count != n {
      throw DatasetError(.badShape, path: name, "\(ids.count) ids for \(n) examples")
    }
    if let bad = tensor.firstNonFinite() {
      let per = max(1, tensor.count / max(n, 1))
      throw DatasetError(
        .badValue, path: name, "example \(bad / per) holds a NaN or infinite value")
    }
    self.tensor = tensor
    self.labels = labels
    self.labelNames = labelNames
    self.ids = ids
    self.name = name
  }

  public var count: Int { tensor.shape[0] }

  public var exampleShape: [Int] { Array(tensor.shape.dropFirst()) }

  public func batch(_ range: Range<Int>) throws -> Tensor {
    try checkRange(range, path: name)
    return tensor.slice(range)
  }
}
