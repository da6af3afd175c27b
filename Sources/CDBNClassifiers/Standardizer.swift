import CDBNStorage

/// Per-column standardisation (x − mean) / std, fitted on training data only and saved with the
/// model, so test features are scaled exactly as the training features were.
///
/// Means and standard deviations (population, divisor N) are accumulated in Double. A column that
/// is constant in the training data gets std 1, so it maps to 0 instead of NaN.
public struct Standardizer: Sendable, Equatable {
  public let mean: [Float]
  public let std: [Float]

  /// Fits the column statistics of `x`.
  public init(fitting x: FeatureMatrix) throws {
    guard x.rows > 0, x.columns > 0 else {
      throw ClassifierError.invalidInput(
        "cannot standardise an empty \(x.rows) × \(x.columns) matrix")
    }
    try x.requireFinite("training features")
    let (n, d) = (x.rows, x.columns)
    var sum = [Double](repeating: 0, count: d)
    var lo = Array(x.values[0..<d])
    var hi = lo
    x.values.withUnsafeBufferPointer { v in
      for r in 0..<n {
        let row = v.baseAddress! + r * d
        for j in 0..<d {
          sum[j] += Double(row[j])
          lo[j] = min(lo[j], row[j])
          hi[j] = max(hi[j], row[j])
        }
      }
    }
    let mean = sum.map { $0 / Double(n) }
    // Second pass around the mean: no cancellation from Σx² − N·mean².
    var squares = [Double](repeating: 0, count: d)
    x.values.withUnsafeBufferPointer { v in
      for r in 0..<n {
        let row = v.baseAddress! + r * d
        for j in 0..<d {
          let e = Double(row[j]) - mean[j]
          squares[j] += e * e
        }
      }
    }
    // Constant columns are detected exactly (min == max): their computed variance may be a
    // rounding residue like 1e-35 that would blow noise up instead of giving std 1.
    let std = (0..<d).map { j -> Float in
      let s = Float((squares[j] / Double(n)).squareRoot())
      return lo[j] == hi[j] || !(s > 0) ? 1 : s
    }
    self.mean = mean.map { Float($0) }
    self.std = std
  }

  /// Statistics from elsewhere; `std` must be positive and both finite and of equal length.
  public init(mean: [Float], std: [Float]) throws {
    guard mean.count == std.count, !mean.isEmpty else {
      throw ClassifierError.shapeMismatch(
        "standardizer mean has \(mean.count) values and std \(std.count); they must match and be non-empty"
      )
    }
    if let i = mean.firstIndex(where: { !$0.isFinite }) {
      throw ClassifierError.nonFinite("standardizer mean[\(i)] is \(mean[i])")
    }
    if let i = std.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
      throw ClassifierError.invalidParameter(
        "standardizer std[\(i)] is \(std[i]); it must be positive and finite")
    }
    self.mean = mean
    self.std = std
  }

  public var featureCount: Int { mean.count }

  /// (x − mean) / std column by column.
  public func transform(_ x: FeatureMatrix) throws -> FeatureMatrix {
    guard x.columns == mean.count else {
      throw ClassifierError.shapeMismatch(
        "features have \(x.columns) columns, the standardizer was fitted on \(mean.count)")
    }
    let d = x.columns
    let inverse = std.map { 1 / $0 }
    var out = x.values
    out.withUnsafeMutableBufferPointer { o in
      mean.withUnsafeBufferPointer { m in
        inverse.withUnsafeBufferPointer { s in
          for r in 0..<x.rows {
            let row = o.baseAddress! + r * d
            for j in 0..<d { row[j] = (row[j] - m[j]) * s[j] }
          }
        }
      }
    }
    return FeatureMatrix(unchecked: x.rows, d, out)
  }

  /// Datasets `mean` [D] and `std` [D], float32.
  public func save(to group: HDF5Group) throws {
    try group.writeFloats("mean", shape: [mean.count], mean)
    try group.writeFloats("std", shape: [std.count], std)
  }

  public static func load(from group: HDF5Group) throws -> Standardizer {
    let reader = ModelGroupReader(group)
    let mean = try reader.floats("mean", rank: 1)
    let std = try reader.floats("std", shape: [mean.values.count])
    do {
      return try Standardizer(mean: mean.values, std: std.values)
    } catch let error as ClassifierError {
      throw ClassifierError.malformedModel("\(group.name): \(error)")
    }
  }
}
