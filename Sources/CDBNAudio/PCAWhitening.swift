import CDBNDatasets
import CDBNNumerics
import CDBNStorage

/// PCA whitening of spectrogram frames (Lee, Largman, Pham & Ng 2009 keep 80 components):
///
///     x_white = diag(1/√(λ + ε)) Eᵀ (x − μ)
///
/// with μ the training mean, λ the largest k eigenvalues of the training covariance (divided by N)
/// and E their eigenvectors; ε keeps the small eigenvalues from blowing up noise. The eigenvectors
/// come from LAPACK's `dsyevd` (OpenBLAS) on the covariance accumulated in Double.
///
/// Saved into an HDF5 group: attributes `kind` = "pca_whitening", `epsilon`; datasets `mean` [D],
/// `components` [k, D] (one eigenvector Eᵀ row per component, largest eigenvalue first) and
/// `eigenvalues` [k], all float32.
public struct PCAWhitening: Sendable, Equatable {
  public static let kind = "pca_whitening"

  /// μ [D].
  public let mean: [Float]
  /// Eᵀ, k rows of D, by decreasing eigenvalue.
  public let components: [Float]
  /// λ [k], decreasing.
  public let eigenvalues: [Float]
  public let epsilon: Float

  public var inputDimension: Int { mean.count }
  public var componentCount: Int { eigenvalues.count }

  /// A whitening from saved parts; throws unless the shapes agree and every number is finite
  /// (eigenvalues + ε must be positive).
  public init(mean: [Float], components: [Float], eigenvalues: [Float], epsilon: Float) throws {
    let d = mean.count
    let k = eigenvalues.count
    guard d > 0, k > 0, k <= d, components.count == k * d else {
      throw DatasetError(
        .badShape, path: "PCA whitening",
        "mean [\(d)], components of \(components.count) values and eigenvalues [\(k)] do not fit together"
      )
    }
    guard epsilon.isFinite, epsilon >= 0,
      (mean + components + eigenvalues).allSatisfy(\.isFinite),
      eigenvalues.allSatisfy({ $0 + epsilon > 0 })
    else {
      throw DatasetError(
        .badValue, path: "PCA whitening",
        "holds NaN, infinity, a negative ε or an eigenvalue λ with λ + ε ≤ 0")
    }
    self.mean = mean
    self.components = components
    self.eigenvalues = eigenvalues
    self.epsilon = epsilon
  }

  /// Fits on `frames` [N, D] (N ≥ 2), keeping `components` directions.
  public init(fitting frames: Tensor, components k: Int = 80, epsilon: Float = 0.01) throws {
    var accumulator = Accumulator()
    try accumulator.add(frames)
    self = try accumulator.whitening(components: k, epsilon: epsilon)
  }

  /// Whitened frames [N, k] of `frames` [N, D].
  public func transform(_ frames: Tensor) throws -> Tensor {
    guard frames.rank == 2, frames.shape[1] == inputDimension else {
      throw DatasetError(
        .badShape, path: "PCA whitening",
        "expects frames [N, \(inputDimension)], got \(frames.shape)")
    }
    let n = frames.shape[0]
    let d = inputDimension
    let k = componentCount
    if n == 0 { return Tensor(zeros: [0, k]) }
    var centred = frames.scalars
    for i in 0..<n {
      for j in 0..<d { centred[i * d + j] -= mean[j] }
    }
    var out = [Float](repeating: 0, count: n * k)
    centred.withUnsafeBufferPointer { x in
      components.withUnsafeBufferPointer { e in
        out.withUnsafeMutableBufferPointer { y in
          BLAS.sgemm(
            .none, .transposed, m: n, n: k, k: d, alpha: 1, a: x.baseAddress!, lda: d,
            b: e.baseAddress!, ldb: d, beta: 0, c: y.baseAddress!, ldc: k)
        }
      }
    }
    let scale = eigenvalues.map { 1 / ($0 + epsilon).squareRoot() }
    for i in 0..<n {
      for j in 0..<k { out[i * k + j] *= scale[j] }
    }
    return Tensor(shape: [n, k], scalars: out)
  }

  /// A pattern in whitened coordinates (`k` values) taken back to spectrogram space (`D` log
  /// powers, relative to the mean): E diag(√(λ + ε)) w, the inverse of `transform` without μ.
  public func dewhitened(_ white: ArraySlice<Float>) -> [Float] {
    precondition(white.count == componentCount)
    let d = inputDimension
    var out = [Float](repeating: 0, count: d)
    for (c, w) in white.enumerated() {
      let scaled = w * (eigenvalues[c] + epsilon).squareRoot()
      for j in 0..<d { out[j] += components[c * d + j] * scaled }
    }
    return out
  }

  /// Writes the attributes and datasets described above into `group`.
  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.kind)
    try group.setAttribute("epsilon", Double(epsilon))
    try group.writeFloats("mean", shape: [inputDimension], mean)
    try group.writeFloats("components", shape: [componentCount, inputDimension], components)
    try group.writeFloats("eigenvalues", shape: [componentCount], eigenvalues)
  }

  /// Reads what `save` wrote; a group of another kind or with inconsistent datasets is a
  /// `DatasetError` naming the file and group.
  public static func load(from group: HDF5Group) throws -> PCAWhitening {
    try group.loadSaved(kind: Self.kind) {
      let epsilon = Float(try group.doubleAttribute("epsilon"))
      let mean = try group.readFloats("mean")
      let components = try group.readFloats("components")
      let eigenvalues = try group.readFloats("eigenvalues")
      guard mean.shape.count == 1, eigenvalues.shape.count == 1,
        components.shape == [eigenvalues.shape[0], mean.shape[0]]
      else {
        throw DatasetError(
          .badShape, path: "PCA whitening",
          "mean \(mean.shape), components \(components.shape) and eigenvalues \(eigenvalues.shape) do not fit together"
        )
      }
      return try PCAWhitening(
        mean: mean.values, components: components.values, eigenvalues: eigenvalues.values,
        epsilon: epsilon)
    }
  }

  /// Mean and covariance gathered batch by batch, so a corpus's frames need not all be in memory.
  /// Sums are kept in Double around a reference point (the first batch's mean) to avoid cancellation.
  public struct Accumulator: Sendable {
    public private(set) var count = 0
    private var dimension = 0
    private var reference: [Float] = []
    private var sum: [Double] = []
    private var products: [Double] = []

    public init() {}

    /// Adds frames [N, D]; D must stay the same; NaN or infinity is an error.
    public mutating func add(_ frames: Tensor) throws {
      guard frames.rank == 2, frames.shape[1] > 0 else {
        throw DatasetError(
          .badShape, path: "PCA whitening", "expects frames [N, D], got \(frames.shape)")
      }
      let n = frames.shape[0]
      let d = frames.shape[1]
      if n == 0 { return }
      if let bad = frames.firstNonFinite() {
        throw DatasetError(
          .badValue, path: "PCA whitening",
          "frame \(bad / d), value \(bad % d) is \(frames.scalars[bad])")
      }
      if dimension == 0 {
        dimension = d
        reference = (0..<d).map { j in
          Float((0..<n).reduce(0.0) { $0 + Double(frames.scalars[$1 * d + j]) } / Double(n))
        }
        sum = [Double](repeating: 0, count: d)
        products = [Double](repeating: 0, count: d * d)
      }
      guard d == dimension else {
        throw DatasetError(
          .badShape, path: "PCA whitening", "frames of \(d) values after frames of \(dimension)")
      }
      // Chunks keep Float sums short; each chunk's XᵀX is added to the Double total.
      let chunk = 512
      var start = 0
      var shifted = [Float](repeating: 0, count: chunk * d)
      var gram = [Float](repeating: 0, count: d * d)
      while start < n {
        let rows = min(chunk, n - start)
        for i in 0..<rows {
          for j in 0..<d {
            let v = frames.scalars[(start + i) * d + j] - reference[j]
            shifted[i * d + j] = v
            sum[j] += Double(v)
          }
        }
        shifted.withUnsafeBufferPointer { x in
          gram.withUnsafeMutableBufferPointer { g in
            BLAS.sgemm(
              .transposed, .none, m: d, n: d, k: rows, alpha: 1, a: x.baseAddress!, lda: d,
              b: x.baseAddress!, ldb: d, beta: 0, c: g.baseAddress!, ldc: d)
          }
        }
        for i in 0..<(d * d) { products[i] += Double(gram[i]) }
        start += rows
      }
      count += n
    }

    /// The whitening keeping the `k` leading components.
    public func whitening(components k: Int, epsilon: Float) throws -> PCAWhitening {
      guard count >= 2 else {
        throw DatasetError(
          .invalidArgument, path: "PCA whitening", "needs at least 2 frames, got \(count)")
      }
      guard k >= 1, k <= dimension else {
        throw DatasetError(
          .invalidArgument, path: "PCA whitening",
          "cannot keep \(k) components of \(dimension)-dimensional frames")
      }
      guard epsilon >= 0, epsilon.isFinite else {
        throw DatasetError(.invalidArgument, path: "PCA whitening", "ε \(epsilon) must be ≥ 0")
      }
      let d = dimension
      let nd = Double(count)
      let m = sum.map { $0 / nd }
      var covariance = [Double](repeating: 0, count: d * d)
      for i in 0..<d {
        for j in 0..<d { covariance[i * d + j] = products[i * d + j] / nd - m[i] * m[j] }
      }
      guard let (values, vectors) = BLAS.symmetricEigen(covariance, n: d) else {
        throw DatasetError(
          .badValue, path: "PCA whitening", "LAPACK dsyevd failed on the covariance matrix")
      }
      let mean = (0..<d).map { reference[$0] + Float(m[$0]) }
      var components = [Float](repeating: 0, count: k * d)
      var eigenvalues = [Float](repeating: 0, count: k)
      for c in 0..<k {
        let source = d - 1 - c  // ascending from LAPACK
        eigenvalues[c] = Float(max(0, values[source]))
        // Sign convention: the largest-magnitude entry of each eigenvector is positive.
        var big = 0
        for j in 0..<d where abs(vectors[source * d + j]) > abs(vectors[source * d + big]) {
          big = j
        }
        let sign: Double = vectors[source * d + big] < 0 ? -1 : 1
        for j in 0..<d { components[c * d + j] = Float(sign * vectors[source * d + j]) }
      }
      return try PCAWhitening(
        mean: mean, components: components, eigenvalues: eigenvalues, epsilon: epsilon)
    }
  }
}
