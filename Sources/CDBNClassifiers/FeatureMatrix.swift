import CDBNNumerics

/// N examples × D features, row-major Float32: what every classifier here fits and predicts on.
///
/// A plain value type rather than a `Tensor` so its shape is always exactly two dimensions;
/// `init(flattening:)` turns a feature file's [N, K, H, W] tensor into one.
public struct FeatureMatrix: Sendable, Equatable {
  public let rows: Int
  public let columns: Int
  /// `rows · columns` values, row after row.
  public let values: [Float]

  /// A matrix over existing values; throws unless `values.count == rows · columns`.
  public init(rows: Int, columns: Int, values: [Float]) throws {
    guard rows >= 0, columns >= 0 else {
      throw ClassifierError.shapeMismatch("negative size \(rows) × \(columns)")
    }
    let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
    guard !overflow, count == values.count else {
      throw ClassifierError.shapeMismatch(
        "\(rows) × \(columns) matrix needs \(overflow ? "too many" : "\(count)") values, got \(values.count)"
      )
    }
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// One row per inner array; throws when the rows differ in length.
  public init(rows: [[Float]]) throws {
    let d = rows.first?.count ?? 0
    if let bad = rows.firstIndex(where: { $0.count != d }) {
      throw ClassifierError.shapeMismatch(
        "row \(bad) has \(rows[bad].count) values, row 0 has \(d)")
    }
    try self.init(rows: rows.count, columns: d, values: rows.flatMap { $0 })
  }

  /// A tensor [N, ...] read as N rows of everything after the first dimension (the layout of a
  /// feature file's /features, whether [N, D] or [N, K, H, W]).
  public init(flattening tensor: Tensor) throws {
    guard let n = tensor.shape.first else {
      throw ClassifierError.shapeMismatch("a scalar tensor has no examples")
    }
    try self.init(
      rows: n, columns: tensor.shape.dropFirst().reduce(1, *), values: tensor.scalars)
  }

  /// Element (row, column); for tests and small loops.
  public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }

  /// The rows at `indices`, in that order.
  public func selecting(rows indices: [Int]) -> FeatureMatrix {
    var out = [Float]()
    out.reserveCapacity(indices.count * columns)
    values.withUnsafeBufferPointer { v in
      for i in indices {
        out.append(contentsOf: v[(i * columns)..<((i + 1) * columns)])
      }
    }
    return FeatureMatrix(unchecked: indices.count, columns, out)
  }

  /// The columns at `indices`, in that order, of every row.
  public func selecting(columns indices: [Int]) -> FeatureMatrix {
    var out = [Float]()
    out.reserveCapacity(rows * indices.count)
    values.withUnsafeBufferPointer { v in
      for r in 0..<rows {
        for c in indices { out.append(v[r * columns + c]) }
      }
    }
    return FeatureMatrix(unchecked: rows, indices.count, out)
  }

  init(unchecked rows: Int, _ columns: Int, _ values: [Float]) {
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// Throws `nonFinite` naming the first NaN or infinity; `what` says whose features these are.
  func requireFinite(_ what: String) throws {
    if let i = values.firstIndex(where: { !$0.isFinite }) {
      throw ClassifierError.nonFinite(
        "\(what): value \(values[i]) at row \(i / max(columns, 1)), column \(i % max(columns, 1))")
    }
  }
}
