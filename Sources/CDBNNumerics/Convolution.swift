/// Multi-channel valid cross-correlation, its transpose (the full convolution) and the weight
/// gradient, for batches [N, C, H, W], as im2col + OpenBLAS sgemm per chunk, chunks in parallel.
///
/// Filters [K, C, fh, fw] are applied without flipping (PyTorch's conv2d): the correlation is
/// out[n,k,i,j] = Σ_c Σ_a Σ_b W[k,c,a,b]·x[n,c,i+a,j+b]. These Tensor-level calls allocate their
/// scratch per call; the trainers keep their own scratch and call `Unfold` and `BLAS` directly.
public enum Convolution {
  /// out[n,k,i,j] = bias[k] + Σ W[k,c,a,b]·x[n,c,i+a,j+b].
  public static func correlateValid(_ input: Tensor, _ filters: Tensor, bias: [Float]? = nil)
    -> Tensor
  {
    let s = shape(input: input, filters: filters)
    let n = input.dims4.n
    var out = Tensor(zeros: [n, s.filters, s.outputHeight, s.outputWidth])
    // One example per sgemm: sgemm's rounding of a column can depend on the other columns of the
    // call, and an example's features must not depend on the batch it came in (a process's share of
    // a batch gives the same features as the whole batch).
    let plan = ChunkPlan(examples: n, floatsPerExample: s.patchSize * s.outputPlane, budget: 0)
    let scratch = Scratch(plan: plan, floats: scratchFloats(s, count: plan.largest))
    input.scalars.withUnsafeBufferPointer { x in
      filters.scalars.withUnsafeBufferPointer { w in
        out.scalars.withUnsafeMutableBufferPointer { o in
          nonisolated(unsafe) let (x, w, o) = (x.baseAddress!, w.baseAddress!, o.baseAddress!)
          Parallelism.forEach(plan.ranges.count) { task, worker in
            let r = plan.ranges[task]
            correlateValid(
              s, count: r.count, input: x + r.lowerBound * s.inputSize, filters: w,
              output: o + r.lowerBound * s.outputSize, scratch: scratch.buffer(worker))
          }
        }
      }
    }
    if let bias {
      precondition(bias.count == s.filters)
      let plane = s.outputPlane
      for e in 0..<n {
        for k in 0..<s.filters {
          let base = (e * s.filters + k) * plane
          for p in 0..<plane { out.scalars[base + p] += bias[k] }
        }
      }
    }
    return out
  }

  /// Floats of scratch that the pointer-level calls need for a chunk of `count` examples.
  public static func scratchFloats(_ s: ConvolutionShape, count: Int) -> Int {
    count * (s.patchSize + s.filters) * s.outputPlane
  }

  /// `correlateValid` of one chunk: `count` examples [count, C, H, W] at `input` into `output`
  /// [count, K, Ho, Wo], without bias, on the calling thread; `scratch` holds `scratchFloats`.
  public static func correlateValid(
    _ s: ConvolutionShape, count: Int, input: UnsafePointer<Float>, filters: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    let columns = count * s.outputPlane
    // One example's planes are already in example-major order: sgemm writes them in place.
    let maps = count == 1 ? output : scratch + s.patchSize * columns
    Unfold.im2col(s, count: count, input: input, columns: scratch)
    BLAS.sgemmInSmallTiles(
      .none, .none, m: s.filters, n: columns, k: s.patchSize, alpha: 1, a: filters,
      lda: s.patchSize, b: scratch, ldb: columns, beta: 0, c: maps, ldc: columns)
    if count > 1 {
      Layout.planesToExamples(
        maps, filters: s.filters, count: count, plane: s.outputPlane, into: output)
    }
  }

  /// The transpose of `correlateValid`: out[n,c,y,x] = Σ_k Σ_a Σ_b W[k,c,a,b]·maps[n,k,y−a,x−b],
  /// an input-sized result for maps of size (H−fh+1)×(W−fw+1).
  public static func convolveFull(_ maps: Tensor, _ filters: Tensor) -> Tensor {
    let (n, k, ho, wo) = maps.dims4
    precondition(
      filters.rank == 4 && filters.shape[0] == k, "maps \(maps.shape) vs filters \(filters.shape)")
    let s = ConvolutionShape(
      channels: filters.shape[1], height: ho + filters.shape[2] - 1,
      width: wo + filters.shape[3] - 1,
      filters: k, filterHeight: filters.shape[2], filterWidth: filters.shape[3])
    var out = Tensor(zeros: [n, s.channels, s.height, s.width])
    let plan = ChunkPlan(examples: n, floatsPerExample: s.patchSize * s.outputPlane)
    let scratch = Scratch(plan: plan, floats: scratchFloats(s, count: plan.largest))
    maps.scalars.withUnsafeBufferPointer { h in
      filters.scalars.withUnsafeBufferPointer { w in
        out.scalars.withUnsafeMutableBufferPointer { o in
          nonisolated(unsafe) let (h, w, o) = (h.baseAddress!, w.baseAddress!, o.baseAddress!)
          Parallelism.forEach(plan.ranges.count) { task, worker in
            let r = plan.ranges[task]
            convolveFull(
              s, count: r.count, maps: h + r.lowerBound * s.outputSize, filters: w,
              output: o + r.lowerBound * s.inputSize, scratch: scratch.buffer(worker))
          }
        }
      }
    }
    return out
  }

  /// `convolveFull` of one chunk: maps [count, K, Ho, Wo] into `output` [count, C, H, W] (overwritten),
  /// where `s` is the shape of the correlation it transposes; `scratch` holds `scratchFloats`.
  public static func convolveFull(
    _ s: ConvolutionShape, count: Int, maps: UnsafePointer<Float>, filters: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    let columns = count * s.outputPlane
    let planes = planeMajor(s, count: count, maps: maps, scratch: scratch)
    BLAS.sgemmInSmallTiles(
      .transposed, .none, m: s.patchSize, n: columns, k: s.filters, alpha: 1, a: filters,
      lda: s.patchSize, b: planes, ldb: columns, beta: 0, c: scratch, ldc: columns)
    output.update(repeating: 0, count: count * s.inputSize)
    Unfold.col2imAdd(s, count: count, columns: scratch, output: output)
  }

  /// g[k,c,a,b] = Σ_n Σ_i Σ_j maps[n,k,i,j]·input[n,c,i+a,j+b]: the gradient of
  /// Σ maps ⊙ correlateValid(input, W) with respect to W.
  public static func weightGradient(
    input: Tensor, maps: Tensor, filterHeight: Int, filterWidth: Int
  )
    -> Tensor
  {
    let (n, c, hgt, wid) = input.dims4
    let (nm, k, ho, wo) = maps.dims4
    precondition(nm == n && ho == hgt - filterHeight + 1 && wo == wid - filterWidth + 1, "shapes")
    let s = ConvolutionShape(
      channels: c, height: hgt, width: wid, filters: k, filterHeight: filterHeight,
      filterWidth: filterWidth)
    let plan = ChunkPlan(examples: n, floatsPerExample: s.patchSize * s.outputPlane)
    let scratch = Scratch(plan: plan, floats: scratchFloats(s, count: plan.largest))
    var partials = [Float](repeating: 0, count: plan.ranges.count * s.weightCount)
    input.scalars.withUnsafeBufferPointer { x in
      maps.scalars.withUnsafeBufferPointer { h in
        partials.withUnsafeMutableBufferPointer { g in
          nonisolated(unsafe) let (x, h, g) = (x.baseAddress!, h.baseAddress!, g.baseAddress!)
          Parallelism.forEach(plan.ranges.count) { task, worker in
            let r = plan.ranges[task]
            weightGradient(
              s, count: r.count, input: x + r.lowerBound * s.inputSize,
              maps: h + r.lowerBound * s.outputSize, gradient: g + task * s.weightCount,
              scratch: scratch.buffer(worker))
          }
        }
      }
    }
    var out = Tensor(zeros: [k, c, filterHeight, filterWidth])
    for t in 0..<plan.ranges.count {
      for i in 0..<s.weightCount { out.scalars[i] += partials[t * s.weightCount + i] }
    }
    return out
  }

  /// `weightGradient` of one chunk into `gradient` [K, C, fh, fw] (overwritten); `scratch` holds
  /// `scratchFloats`.
  public static func weightGradient(
    _ s: ConvolutionShape, count: Int, input: UnsafePointer<Float>, maps: UnsafePointer<Float>,
    gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    let columns = count * s.outputPlane
    let planes = planeMajor(s, count: count, maps: maps, scratch: scratch)
    Unfold.im2col(s, count: count, input: input, columns: scratch)
    BLAS.sgemmInSmallTiles(
      .none, .transposed, m: s.filters, n: s.patchSize, k: columns, alpha: 1, a: planes,
      lda: columns, b: scratch, ldb: columns, beta: 0, c: gradient, ldc: s.patchSize)
  }

  /// The chunk's maps in the plane-major layout [K, count, P] that one sgemm reads: the maps
  /// themselves for one example, else a copy after the unfolded matrix in `scratch`.
  private static func planeMajor(
    _ s: ConvolutionShape, count: Int, maps: UnsafePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) -> UnsafePointer<Float> {
    guard count > 1 else { return maps }
    let reordered = scratch + s.patchSize * count * s.outputPlane
    Layout.examplesToPlanes(
      maps, filters: s.filters, count: count, plane: s.outputPlane, into: reordered)
    return UnsafePointer(reordered)
  }

  private static func shape(input: Tensor, filters: Tensor) -> ConvolutionShape {
    let (_, c, h, w) = input.dims4
    precondition(
      filters.rank == 4 && filters.shape[1] == c, "input \(input.shape) vs filters \(filters.shape)"
    )
    let s = ConvolutionShape(
      channels: c, height: h, width: w, filters: filters.shape[0], filterHeight: filters.shape[2],
      filterWidth: filters.shape[3])
    precondition(s.isValid, "filter \(filters.shape) larger than input \(input.shape)")
    return s
  }
}

/// Moves planes between the example-major layout [count, K, P] of tensors and the plane-major layout
/// [K, count, P] that one sgemm over a chunk produces.
public enum Layout {
  public static func planesToExamples(
    _ src: UnsafePointer<Float>, filters: Int, count: Int, plane: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    for k in 0..<filters {
      for e in 0..<count {
        (dst + (e * filters + k) * plane).update(from: src + (k * count + e) * plane, count: plane)
      }
    }
  }

  public static func examplesToPlanes(
    _ src: UnsafePointer<Float>, filters: Int, count: Int, plane: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    for k in 0..<filters {
      for e in 0..<count {
        (dst + (k * count + e) * plane).update(from: src + (e * filters + k) * plane, count: plane)
      }
    }
  }
}

/// One scratch buffer per worker, allocated once per call (or once per trainer) and reused.
public final class Scratch: @unchecked Sendable {
  private let buffers: [UnsafeMutablePointer<Float>]
  public let floatsPerWorker: Int

  public init(workers: Int, floats: Int) {
    floatsPerWorker = max(1, floats)
    buffers = (0..<max(1, workers)).map { _ in
      let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, floats))
      p.initialize(repeating: 0, count: max(1, floats))
      return p
    }
  }

  convenience init(plan: ChunkPlan, floats: Int) {
    self.init(workers: min(Parallelism.threads, max(1, plan.ranges.count)), floats: floats)
  }

  public func buffer(_ worker: Int) -> UnsafeMutablePointer<Float> { buffers[worker] }

  public var workers: Int { buffers.count }

  deinit { for b in buffers { b.deallocate() } }
}
