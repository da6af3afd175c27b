import CDBNNumerics

/// Strided, zero-padded cross-correlation (no flip, the ConvRBM's convention, so its filters can be
/// copied in unchanged): out[n,k,i,j] = b_k + Σ_c Σ_{a,b} W[k,c,a,b]·x[n,c,i·s_h+a−p_h, j·s_w+b−p_w].
///
/// Weights [K, C, kh, kw], bias [K]. Forward and backward are im2col + one sgemm per call, on the
/// chunk of examples the caller hands in; the unfolded matrix of the forward pass is kept for the
/// weight gradient.
public final class ConvolutionLayer: NetworkLayer {
  public let storage: LayerStorage
  let geometry: ConvolutionGeometry
  private var columns = FloatBuffer(count: 0)
  private var planes = FloatBuffer(count: 0)

  init(index: Int, inputShape: [Int], spec: LayerSpec, parameters: [Parameter]? = nil)
    throws(ConvNetError)
  {
    guard case .convolution(let filters, let kernel, let stride, let padding) = spec else {
      throw .invalidLayer(index: index, kind: spec.kind, "is not a convolution")
    }
    let out = try spec.outputShape(for: inputShape, index: index)
    geometry = ConvolutionGeometry(
      channels: inputShape[0], height: inputShape[1], width: inputShape[2], filters: filters,
      kernel: kernel, stride: stride, padding: padding)
    let params =
      parameters ?? [
        Parameter(
          name: "weights", shape: [filters, inputShape[0], kernel.height, kernel.width],
          decays: true),
        Parameter(name: "bias", shape: [filters], decays: false),
      ]
    storage = LayerStorage(
      index: index, inputShape: inputShape, outputShape: out, parameters: params)
  }

  public var spec: LayerSpec {
    .convolution(
      filters: geometry.filters, kernel: geometry.kernel, stride: geometry.stride,
      padding: geometry.padding)
  }

  public var weights: Parameter { parameters[0] }
  public var bias: Parameter { parameters[1] }

  /// Copies in filters [K, C, kh, kw] and biases [K], for instance a ConvRBM's `weights` and
  /// `hiddenBias` (same cross-correlation convention, no flip). Every copy of the layer sees them.
  public func setFilters(weights w: Tensor, bias b: [Float]) throws(ConvNetError) {
    guard w.shape == weights.shape else {
      throw .shapeMismatch("layer \(index) (conv) has weights \(weights.shape), got \(w.shape)")
    }
    guard b.count == bias.count else {
      throw .shapeMismatch("layer \(index) (conv) has \(bias.count) biases, got \(b.count)")
    }
    if w.firstNonFinite() != nil || b.contains(where: { !$0.isFinite }) {
      throw .nonFinite("filters for layer \(index)")
    }
    weights.scalars = w.scalars
    bias.scalars = b
  }

  /// A copy sharing `other`'s parameters, with buffers of its own.
  private init(replicating other: ConvolutionLayer) {
    geometry = other.geometry
    storage = other.storage.replica()
  }

  public func replica() -> any NetworkLayer { ConvolutionLayer(replicating: self) }

  public func reserveScratch(_ examples: Int) {
    columns = FloatBuffer(count: geometry.patchSize * examples * geometry.outputPlane)
    planes = FloatBuffer(count: geometry.filters * examples * geometry.outputPlane)
  }

  public func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let g = geometry
    let n = count * g.outputPlane
    StridedUnfold.im2col(g, count: count, input: input, columns: columns.pointer)
    BLAS.sgemmInSmallTiles(
      .none, .none, m: g.filters, n: n, k: g.patchSize, alpha: 1, a: weights.pointer,
      lda: g.patchSize, b: columns.pointer, ldb: n, beta: 0, c: planes.pointer, ldc: n)
    Layout.planesToExamples(
      planes.pointer, filters: g.filters, count: count, plane: g.outputPlane, into: output)
    let b = bias.pointer
    for e in 0..<count {
      for k in 0..<g.filters {
        let o = output + (e * g.filters + k) * g.outputPlane
        let bk = b[k]
        for p in 0..<g.outputPlane { o[p] += bk }
      }
    }
  }

  public func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    let g = geometry
    let n = count * g.outputPlane
    Layout.examplesToPlanes(
      gradOutput, filters: g.filters, count: count, plane: g.outputPlane, into: planes.pointer)
    BLAS.sgemmInSmallTiles(
      .none, .transposed, m: g.filters, n: g.patchSize, k: n, alpha: 1, a: planes.pointer, lda: n,
      b: columns.pointer, ldb: n, beta: 1, c: storage.gradients[0].pointer, ldc: g.patchSize)
    let gb = storage.gradients[1].pointer
    for k in 0..<g.filters { gb[k] += VectorMath.sum(planes.pointer + k * n, count: n) }
    guard let gradInput else { return }
    // The unfolded input is no longer needed: reuse its memory for the unfolded input gradient.
    BLAS.sgemmInSmallTiles(
      .transposed, .none, m: g.patchSize, n: n, k: g.filters, alpha: 1, a: weights.pointer,
      lda: g.patchSize, b: planes.pointer, ldb: n, beta: 0, c: columns.pointer, ldc: n)
    gradInput.update(repeating: 0, count: count * g.inputSize)
    StridedUnfold.col2imAdd(g, count: count, columns: columns.pointer, output: gradInput)
  }
}
