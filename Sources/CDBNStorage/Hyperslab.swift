/// A rectangular block of a dataset: `count[i]` elements from `start[i]` along each dimension.
struct Hyperslab {
  var start: [Int]
  var count: [Int]

  /// Reads larger than this many elements are refused instead of allocated: a corrupt header can
  /// claim any shape, and no array CDBN reads in one piece comes near it.
  static let maxElements = 1 << 31

  /// The number of elements in `shape`, or nil if a dimension is negative or the product overflows.
  static func elementCount(_ shape: [Int]) -> Int? {
    var total = 1
    for dimension in shape {
      guard dimension >= 0 else { return nil }
      let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
      guard !overflow else { return nil }
      total = product
    }
    return total
  }

  /// Checks a block against a dataset's shape in plain Swift; returns the block and its element
  /// count, or throws `error(message)` saying what is wrong.
  static func validated(
    start: [Int], count: [Int], shape: [Int], error: (String) -> HDF5Error
  ) throws(HDF5Error) -> (Hyperslab, Int) {
    guard start.count == shape.count, count.count == shape.count else {
      throw error(
        "selection start \(start) count \(count) does not match the dataset's rank \(shape.count) (shape \(shape))"
      )
    }
    guard start.allSatisfy({ $0 >= 0 }), count.allSatisfy({ $0 >= 0 }) else {
      throw error("selection start \(start) count \(count) has a negative value")
    }
    for i in shape.indices where start[i] > shape[i] || count[i] > shape[i] - start[i] {
      throw error(
        "selection start \(start) count \(count) exceeds shape \(shape) in dimension \(i)")
    }
    guard let total = elementCount(count), total <= maxElements else {
      throw error("selection count \(count) is more than \(maxElements) elements")
    }
    return (Hyperslab(start: start, count: count), total)
  }
}
