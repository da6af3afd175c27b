/// A dense, row-major Float32 array with a shape, most often (N, C, H, W).
///
/// A value type: copies are cheap until written (copy-on-write through `Array`). Hot loops reach the
/// scalars through `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
public struct Tensor: Sendable, Equatable {
  public private(set) var shape: [Int]
  public var scalars: [Float]

  /// A tensor of zeros.
  public init(zeros shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
    self.shape = shape
    self.scalars = [Float](repeating: 0, count: shape.reduce(1, *))
  }

  /// A tensor filled with one value.
  public init(repeating value: Float, shape: [Int]) {
    self.shape = shape
    self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
  }

  /// A tensor over existing scalars; `scalars.count` must equal the product of `shape`.
  public init(shape: [Int], scalars: [Float]) {
    precondition(
      shape.reduce(1, *) == scalars.count,
      "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
  }

  public var count: Int { scalars.count }
  public var rank: Int { shape.count }

  /// Dimension `i` counted from the front; 1 past the rank, so a 3-D tensor reads as N = 1 in `dims4`.
  public func dim(_ i: Int) -> Int { i < shape.count ? shape[i] : 1 }

  /// The shape as (N, C, H, W); a tensor of lower rank is read with leading dimensions of 1.
  public var dims4: (n: Int, c: Int, h: Int, w: Int) {
    let padded = [Int](repeating: 1, count: max(0, 4 - shape.count)) + shape
    return (
      padded[padded.count - 4], padded[padded.count - 3], padded[padded.count - 2],
      padded[padded.count - 1]
    )
  }

  /// The same scalars under another shape with the same number of elements.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    Tensor(shape: newShape, scalars: scalars)
  }

  public mutating func reshape(_ newShape: [Int]) {
    precondition(newShape.reduce(1, *) == scalars.count, "cannot reshape \(shape) to \(newShape)")
    shape = newShape
  }

  public subscript(flat i: Int) -> Float {
    get { scalars[i] }
    set { scalars[i] = newValue }
  }

  /// Element (n, c, h, w) of a 4-D tensor; for tests and slow reference code, not hot loops.
  public subscript(n: Int, c: Int, h: Int, w: Int) -> Float {
    get { scalars[((n * shape[1] + c) * shape[2] + h) * shape[3] + w] }
    set { scalars[((n * shape[1] + c) * shape[2] + h) * shape[3] + w] = newValue }
  }

  /// Examples `range` along the first dimension, as a new tensor.
  public func slice(_ range: Range<Int>) -> Tensor {
    let per = shape.dropFirst().reduce(1, *)
    var s = shape
    s[0] = range.count
    return Tensor(
      shape: s, scalars: Array(scalars[(range.lowerBound * per)..<(range.upperBound * per)]))
  }

  /// The first finite-check failure: the flat index of a NaN or infinity, or nil when all are finite.
  public func firstNonFinite() -> Int? {
    scalars.firstIndex { !$0.isFinite }
  }
}
