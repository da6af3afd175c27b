import CDBNNumerics

/// A data set read batch by batch, so a big set never has to be in memory at once.
///
/// Examples are images of one shape [C, H, W]; `batch` returns [range.count, C, H, W].
public protocol ExampleSource {
  /// Number of examples.
  var count: Int { get }
  /// Shape of one example, [C, H, W].
  var exampleShape: [Int] { get }
  /// One class label per example, when the source has labels.
  var labels: [Int]? { get }
  /// The name of each label value (value k is `labelNames[k]`), when the source knows them: class
  /// folder names, MNIST's digits, an HDF5 file's `/label_names`.
  var labelNames: [String]? { get }
  /// One identifier per example (e.g. a relative file path), when the source has them.
  var ids: [String]? { get }
  /// Examples `range` as a tensor [range.count, C, H, W]; throws for a range outside 0..<count
  /// and for examples that cannot be read.
  func batch(_ range: Range<Int>) throws -> Tensor
}

extension ExampleSource {
  /// Sources that know no names (unlabelled ones, or labels that are only numbers).
  public var labelNames: [String]? { nil }

  /// Throws unless `range` lies within 0..<count; `path` names the source in the error.
  public func checkRange(_ range: Range<Int>, path: String) throws {
    guard range.lowerBound >= 0, range.upperBound <= count else {
      throw DatasetError(
        .invalidArgument, path: path, "batch range \(range) is outside 0..<\(count)")
    }
  }
}

/// A source whose examples may differ in size (pictures kept at their own size, utterances of
/// different lengths): `batch` deals only in `exampleShape`, `example(at:)` gives one whole.
public protocol VariableSizeExamples: ExampleSource {
  /// Example `index` at its own size, [1, C, H, W] (C as in `exampleShape`).
  func example(at index: Int) throws -> Tensor
}

extension ExampleSource {
  /// Example `index` alone, [1, C, H, W]: at its own size when the source's examples differ.
  public func single(_ index: Int) throws -> Tensor {
    try (self as? any VariableSizeExamples)?.example(at: index) ?? batch(index..<(index + 1))
  }
}
