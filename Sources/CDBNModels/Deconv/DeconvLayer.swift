import CDBNNumerics
import RealModule

/// What a deconvolutional layer outputs from its feature maps z.
public enum DeconvPooling: String, Sendable, CaseIterable {
  /// z itself, signed and unpooled: Zeiler et al.'s stacking, where layer 2 reconstructs layer 1's maps.
  case none
  /// max |z| over each block.
  case max
  /// Mean |z| over each block's members (fewer at the bottom and right edges of a ragged map).
  case average
}

/// A deconvolutional network layer (Zeiler, Krishnan, Taylor, Fergus, CVPR 2010).
///
/// Its output for an input y [C, H, W] is not computed bottom-up but inferred: the K feature maps z,
/// each (H+fh−1)×(W+fw−1), that minimise
///   C(z) = (λ/2) Σ_c ‖Σ_k g[k,c]·(z_k ∗ f[k,c]) − y_c‖² + Σ |z|^p
/// (∗ is the valid 2-D convolution), by the continuation of `DeconvInference`. The filters are the
/// dictionary's atoms as they appear in the reconstruction: a single 1 in z_k at map position (i, j)
/// adds f[k] with its top-left corner at input pixel (i − fh + 1, j − fw + 1). So f applied to the
/// input as a cross-correlation, as the protocol says, is Aᵀ, the bottom-up drive of the inference,
/// and the full convolution of a map with f is the top-down projection `BasisPictures` draws.
/// Planes of pairs the connectivity table g leaves out are zero; the others have unit norm.
public struct DeconvLayer: FeatureLayer, Equatable {
  public static let kind = "deconv"

  /// [K, C, fh, fw].
  public var filters: Tensor
  public var connectivity: ConnectivityTable
  public var inference: DeconvInference
  public var poolingFunction: DeconvPooling
  public var poolHeight: Int
  public var poolWidth: Int

  /// A new layer with N(0, 1) filters, masked by the table and scaled to unit-norm planes.
  public init(
    channels: Int, maps: Int, filterHeight: Int, filterWidth: Int,
    connectivity: ConnectivityTable? = nil, inference: DeconvInference = DeconvInference(),
    pooling: DeconvPooling = .none, poolHeight: Int = 1, poolWidth: Int = 1, seed: UInt64
  ) throws {
    guard channels > 0, maps > 0, filterHeight > 0, filterWidth > 0 else {
      throw ModelError.invalidConfiguration(
        "deconv needs positive channels, maps and filter size (got C=\(channels), K=\(maps), \(filterHeight)×\(filterWidth))"
      )
    }
    var rng = RandomStream(seed: seed, stream: 0xDEC0)
    var f = Tensor(zeros: [maps, channels, filterHeight, filterWidth])
    for i in 0..<f.count { f.scalars[i] = rng.nextNormal() }
    try self.init(
      filters: f, connectivity: connectivity ?? .full(maps: maps, channels: channels),
      inference: inference, pooling: pooling, poolHeight: poolHeight, poolWidth: poolWidth)
    normalizeFilters()
  }

  /// A layer over given filters (masked by the table, not rescaled); checks every setting.
  public init(
    filters: Tensor, connectivity: ConnectivityTable, inference: DeconvInference,
    pooling: DeconvPooling, poolHeight: Int, poolWidth: Int
  ) throws {
    guard filters.rank == 4, filters.shape.allSatisfy({ $0 > 0 }) else {
      throw ModelError.invalidConfiguration(
        "deconv filters must be [K, C, fh, fw], got \(filters.shape)")
    }
    guard connectivity.maps == filters.shape[0], connectivity.channels == filters.shape[1] else {
      throw ModelError.invalidConfiguration(
        "deconv connectivity is \(connectivity.maps)×\(connectivity.channels) for filters \(filters.shape)"
      )
    }
    guard poolHeight > 0, poolWidth > 0 else {
      throw ModelError.invalidConfiguration(
        "deconv pooling must be positive (got \(poolHeight)×\(poolWidth))")
    }
    guard pooling != .none || (poolHeight == 1 && poolWidth == 1) else {
      throw ModelError.invalidConfiguration(
        "deconv pooling function none takes no pooling block (got \(poolHeight)×\(poolWidth))")
    }
    try inference.validate()
    self.filters = filters
    self.connectivity = connectivity
    self.inference = inference
    self.poolingFunction = pooling
    self.poolHeight = poolHeight
    self.poolWidth = poolWidth
    mask(&self.filters.scalars)
  }

  public var inputChannels: Int { filters.shape[1] }
  public var outputChannels: Int { filters.shape[0] }
  public var filterHeight: Int { filters.shape[2] }
  public var filterWidth: Int { filters.shape[3] }
  public var pooling: [Int] { [poolHeight, poolWidth] }
  private var planeSize: Int { filterHeight * filterWidth }

  /// The output size rule, also used to check configs before any layer exists: maps of
  /// (H+fh−1)×(W+fw−1), pooled in blocks with ragged edges; nil when the filter exceeds the input.
  public static func outputSize(height: Int, width: Int, filter: [Int], pooling: [Int]) -> (
    height: Int, width: Int
  )? {
    guard height >= filter[0], width >= filter[1] else { return nil }
    let (mh, mw) = (height + filter[0] - 1, width + filter[1] - 1)
    return ((mh + pooling[0] - 1) / pooling[0], (mw + pooling[1] - 1) / pooling[1])
  }

  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
    Self.outputSize(
      height: height, width: width, filter: [filterHeight, filterWidth], pooling: pooling)
  }

  // MARK: - Inference

  /// The feature maps z [N, K, H+fh−1, W+fw−1] of a batch y [N, C, H, W].
  public func inferMaps(_ y: Tensor) throws -> Tensor {
    try validate(y)
    let (n, _, h, w) = y.dims4
    return inferMaps(y, solvers: DeconvSolver.team(for: self, height: h, width: w, examples: n))
  }

  /// `inferMaps` on a team of solvers sized for y; every example is solved on its own, so the
  /// result does not depend on the number of workers.
  func inferMaps(_ y: Tensor, solvers: [DeconvSolver]) -> Tensor {
    let (n, _, h, w) = y.dims4
    var z = Tensor(zeros: [n, outputChannels, h + filterHeight - 1, w + filterWidth - 1])
    let settings = inference
    y.scalars.withUnsafeBufferPointer { yp in
      filters.scalars.withUnsafeBufferPointer { fp in
        z.scalars.withUnsafeMutableBufferPointer { zp in
          nonisolated(unsafe) let (yp, fp, zp) = (yp.baseAddress!, fp.baseAddress!, zp.baseAddress!)
          // FISTA's step, once for the batch: it depends on the filters and the input size only.
          let lipschitz =
            settings.solver == .fista ? solvers[0].operatorNormSquared(filters: fp) : 0
          Parallelism.forEach(n, threads: solvers.count) { e, worker in
            let s = solvers[worker]
            s.infer(
              yp + e * s.inputSize, filters: fp, settings: settings, lipschitz: lipschitz,
              into: zp + e * s.mapSize)
          }
        }
      }
    }
    return z
  }

  /// The layer's output: the inferred maps through the pooling function.
  public func features(_ input: Tensor) throws -> Tensor {
    pool(try inferMaps(input))
  }

  /// Maps z [N, K, Hz, Wz] through the pooling function: [N, K, ⌈Hz/ph⌉, ⌈Wz/pw⌉].
  public func pool(_ z: Tensor) -> Tensor {
    if poolingFunction == .none { return z }
    let (n, k, hz, wz) = z.dims4
    let (ph, pw) = (poolHeight, poolWidth)
    let (ho, wo) = ((hz + ph - 1) / ph, (wz + pw - 1) / pw)
    var out = Tensor(zeros: [n, k, ho, wo])
    for plane in 0..<(n * k) {
      let source = plane * hz * wz
      for bi in 0..<ho {
        for bj in 0..<wo {
          let rows = (bi * ph)..<min((bi + 1) * ph, hz)
          let columns = (bj * pw)..<min((bj + 1) * pw, wz)
          var largest: Float = 0
          var sum: Float = 0
          for i in rows {
            for j in columns {
              let a = abs(z.scalars[source + i * wz + j])
              largest = Swift.max(largest, a)
              sum += a
            }
          }
          out.scalars[(plane * ho + bi) * wo + bj] =
            poolingFunction == .max ? largest : sum / Float(rows.count * columns.count)
        }
      }
    }
    return out
  }

  // MARK: - Reconstruction and objective (Tensor level, for statistics, tests and pictures)

  /// A z [N, C, H, W] for maps z [N, K, H+fh−1, W+fw−1]: the centre of their full convolution with
  /// the filters.
  public func reconstruct(_ z: Tensor) -> Tensor {
    let full = Convolution.convolveFull(z, filters)
    let (n, c, fullHeight, fullWidth) = full.dims4
    let (h, w) = (fullHeight - 2 * (filterHeight - 1), fullWidth - 2 * (filterWidth - 1))
    var out = Tensor(zeros: [n, c, h, w])
    for plane in 0..<(n * c) {
      for i in 0..<h {
        let from = (plane * fullHeight + i + filterHeight - 1) * fullWidth + filterWidth - 1
        out.scalars[((plane * h + i) * w)..<((plane * h + i + 1) * w)] =
          full.scalars[from..<(from + w)]
      }
    }
    return out
  }

  /// C(z) per example: (λ/2)‖A z − y‖² + Σ|z|^p.
  public func objective(_ y: Tensor, maps z: Tensor) -> [Double] {
    let r = reconstruct(z)
    let n = y.shape[0]
    let (perInput, perMaps) = (y.count / max(1, n), z.count / max(1, n))
    let p = Double(inference.p)
    return (0..<n).map { e in
      var squared = 0.0
      for i in (e * perInput)..<((e + 1) * perInput) {
        let d = Double(r.scalars[i]) - Double(y.scalars[i])
        squared += d * d
      }
      var sparsity = 0.0
      for i in (e * perMaps)..<((e + 1) * perMaps) {
        let a = abs(Double(z.scalars[i]))
        sparsity += p == 1 ? a : (a == 0 ? 0 : Double.pow(a, p))
      }
      return Double(inference.lambda) / 2 * squared + sparsity
    }
  }

  // MARK: - Filters

  /// Zeroes the planes of pairs the connectivity table leaves out, in filters or their gradient.
  func mask(_ values: inout [Float]) {
    let plane = planeSize
    for (index, on) in connectivity.connected.enumerated() where !on {
      values[(index * plane)..<((index + 1) * plane)] = ArraySlice(repeating: 0, count: plane)
    }
  }

  /// Scales every connected filter plane f[k, c] to unit L2 norm (a zero plane stays zero).
  public mutating func normalizeFilters() {
    let plane = planeSize
    filters.scalars.withUnsafeMutableBufferPointer { f in
      for (index, on) in connectivity.connected.enumerated() where on {
        let start = f.baseAddress! + index * plane
        let norm = VectorMath.dot(start, start, count: plane).squareRoot()
        if norm > 0 { for i in 0..<plane { start[i] /= norm } }
      }
    }
  }
}
