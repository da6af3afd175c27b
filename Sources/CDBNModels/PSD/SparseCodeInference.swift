import CDBNNumerics

/// Inference of a PSD layer's codes: argmin_z E(x, z) by monotone FISTA with backtracking (Beck &
/// Teboulle 2009, MFISTA), warm-started from the encoder's prediction, one example at a time.
///
/// E = g + λ‖z‖₁ with the smooth part g(z) = ½ Σ ω (x − Dz)² + β‖z − z̃‖², ∇g = −Dᵀ(ω ⊙ (x − Dz))
/// + 2β(z − z̃). Each iteration takes p = soft(y − ∇g(y)/L, λ/L), doubling L until
/// g(p) ≤ g(y) + ⟨p − y, ∇g(y)⟩ + L/2‖p − y‖² (so no Lipschitz constant is needed up front), keeps p
/// only if it lowers E (which makes E never increase, unlike plain FISTA), and moves y on with
/// FISTA's momentum. Dy is formed from Dp and the kept points by linearity, so an iteration costs
/// one correlation (Dᵀ) and one full convolution (D) per backtracking trial.
///
/// Examples are independent tasks (an example's codes do not depend on the batch or the threads);
/// each worker owns its buffers, allocated once per call (or per trainer, through `Workspace`).
public struct SparseCodeInference: Sendable {
  public let shape: ConvolutionShape
  let dictionary: [Float]
  let sparsity: Float
  let predictionWeight: Float
  let iterations: Int
  let tolerance: Float
  let pixelWeights: [Float]
  /// Where backtracking starts: max_k ‖D_k‖²·max ω + 2β, a lower bound of g's Lipschitz constant.
  let initialLipschitz: Double

  public init(layer: PSDLayer, height: Int, width: Int) {
    shape = layer.convolutionShape(height: height, width: width)
    dictionary = layer.dictionary.scalars
    sparsity = layer.settings.sparsity
    predictionWeight = layer.settings.predictionWeight
    iterations = layer.settings.fistaIterations
    tolerance = layer.settings.fistaTolerance
    pixelWeights = layer.pixelWeights(height: height, width: width)
    let per = shape.patchSize
    var largest = 0.0
    for k in 0..<shape.filters {
      var sum = 0.0
      for i in (k * per)..<((k + 1) * per) { sum += Double(dictionary[i] * dictionary[i]) }
      largest = max(largest, sum)
    }
    let omega = Double(pixelWeights.max() ?? 1)
    initialLipschitz = max(largest * omega + 2 * Double(predictionWeight), 1e-6)
  }

  public struct Result: Sendable {
    /// z [N, K, Ho, Wo].
    public var codes: Tensor
    /// Dz [N, C, H, W].
    public var reconstructions: Tensor
    /// E(x, z) of each example.
    public var energy: [Double]
    /// Iterations run per example.
    public var iterations: [Int]
    /// With `recordTrace`: E of the kept point, before the first iteration and after each one.
    public var trace: [[Double]]?
  }

  /// The codes of `input` [N, C, H, W] starting from `prediction` [N, K, Ho, Wo] (also the z̃ of the
  /// energy).
  public func run(
    _ input: Tensor, prediction: Tensor, workspace: Workspace? = nil, recordTrace: Bool = false
  ) -> Result {
    let s = shape
    let n = input.dims4.n
    precondition(
      input.shape == [n, s.channels, s.height, s.width]
        && prediction.shape == [n, s.filters, s.outputHeight, s.outputWidth],
      "input \(input.shape) or prediction \(prediction.shape) does not fit \(s)")
    let ws =
      workspace?.shape == s
      ? workspace! : Workspace(shape: s, workers: min(Parallelism.threads, max(1, n)))
    var codes = Tensor(zeros: prediction.shape)
    var reconstructions = Tensor(zeros: input.shape)
    var energy = [Double](repeating: 0, count: n)
    var used = [Int](repeating: 0, count: n)
    let traces = TraceBox(count: recordTrace ? n : 0)
    defer { traces.release() }
    input.scalars.withUnsafeBufferPointer { x in
      prediction.scalars.withUnsafeBufferPointer { zt in
        codes.scalars.withUnsafeMutableBufferPointer { z in
          reconstructions.scalars.withUnsafeMutableBufferPointer { dz in
            energy.withUnsafeMutableBufferPointer { f in
              used.withUnsafeMutableBufferPointer { u in
                nonisolated(unsafe) let (x, zt, z, dz, f, u) = (
                  x.baseAddress!, zt.baseAddress!, z.baseAddress!, dz.baseAddress!, f.baseAddress!,
                  u.baseAddress!
                )
                Parallelism.forEach(n, threads: ws.workers.count) { e, worker in
                  let r = solve(
                    input: x + e * s.inputSize, prediction: zt + e * s.outputSize,
                    codes: z + e * s.outputSize, reconstruction: dz + e * s.inputSize,
                    buffers: ws.workers[worker],
                    trace: recordTrace ? { traces.values[e].append($0) } : nil)
                  f[e] = r.energy
                  u[e] = r.iterations
                }
              }
            }
          }
        }
      }
    }
    return Result(
      codes: codes, reconstructions: reconstructions, energy: energy, iterations: used,
      trace: recordTrace ? Array(traces.values) : nil)
  }

  // MARK: - One example, allocation-free

  private func solve(
    input x: UnsafePointer<Float>, prediction zt: UnsafePointer<Float>,
    codes out: UnsafeMutablePointer<Float>, reconstruction dOut: UnsafeMutablePointer<Float>,
    buffers b: WorkerBuffers, trace: ((Double) -> Void)?
  ) -> (energy: Double, iterations: Int) {
    let s = shape
    let m = s.outputSize
    let size = s.inputSize
    let plane = s.inputPlane
    let lambda = Double(sparsity)
    let beta = Double(predictionWeight)
    // Kept point x_k, previous kept point x_{k−1}, candidate p, each with its image under D.
    var (current, previous, candidate) = (b.codes[0], b.codes[1], b.codes[2])
    var (dCurrent, dPrevious, dCandidate) = (b.images[0], b.images[1], b.images[2])
    let (y, dy, gradient, residual) = (b.codes[3], b.images[3], b.codes[4], b.images[4])

    return dictionary.withUnsafeBufferPointer { dict in
      pixelWeights.withUnsafeBufferPointer { omega in
        let d = dict.baseAddress!
        let w = omega.baseAddress!
        func decode(_ z: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
          Convolution.convolveFull(
            s, count: 1, maps: z, filters: d, output: image, scratch: b.convolution)
        }
        /// g at (z, Dz); with `gradient`, also ∇g into it.
        func smooth(
          _ z: UnsafePointer<Float>, _ image: UnsafePointer<Float>,
          gradient g: UnsafeMutablePointer<Float>?
        ) -> Double {
          var fit = 0.0
          for c in 0..<s.channels {
            fit += Self.weightedResidual(
              x + c * plane, image + c * plane, weights: w, count: plane, into: residual + c * plane
            )
          }
          let prior = Double(VectorMath.squaredDistance(z, zt, count: m))
          if let g {
            Convolution.correlateValid(
              s, count: 1, input: residual, filters: d, output: g, scratch: b.convolution)
            let twoBeta = Float(2 * beta)
            for i in 0..<m { g[i] = twoBeta * (z[i] - zt[i]) - g[i] }
          }
          return 0.5 * fit + beta * prior
        }
        func l1(_ z: UnsafePointer<Float>) -> Double { Self.absoluteSum(z, count: m) }

        current.update(from: zt, count: m)
        decode(current, into: dCurrent)
        var energy = smooth(current, dCurrent, gradient: nil) + lambda * l1(current)
        trace?(energy)
        y.update(from: current, count: m)
        dy.update(from: dCurrent, count: size)
        var t = 1.0
        var lipschitz = initialLipschitz
        var done = 0
        while done < iterations {
          done += 1
          let smoothY = smooth(y, dy, gradient: gradient)
          var smoothP = 0.0
          for _ in 0..<64 {
            let step = Float(1 / lipschitz)
            for i in 0..<m { candidate[i] = y[i] - step * gradient[i] }
            Shrinkage.soft(candidate, count: m, threshold: Float(lambda / lipschitz))
            decode(candidate, into: dCandidate)
            smoothP = smooth(candidate, dCandidate, gradient: nil)
            let (linear, squared) = Self.stepStatistics(candidate, y, gradient, count: m)
            let bound = smoothY + linear + 0.5 * lipschitz * squared
            // A few ulps of slack: rounding must not send L to infinity near the optimum.
            if smoothP <= bound + 1e-6 * abs(bound) { break }
            lipschitz *= 2
          }
          let candidateEnergy = smoothP + lambda * l1(candidate)
          let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
          let accepted = candidateEnergy <= energy
          let decrease = energy - candidateEnergy
          if accepted {
            (previous, current, candidate) = (current, candidate, previous)
            (dPrevious, dCurrent, dCandidate) = (dCurrent, dCandidate, dPrevious)
            energy = candidateEnergy
            // y = x_{k+1} + ((t−1)/t_{k+1})(x_{k+1} − x_k), x_{k+1} = p.
            let a = Float((t - 1) / tNext)
            for i in 0..<m { y[i] = current[i] + a * (current[i] - previous[i]) }
            for i in 0..<size { dy[i] = dCurrent[i] + a * (dCurrent[i] - dPrevious[i]) }
          } else {
            // x_{k+1} = x_k: y = x_k + (t/t_{k+1})(p − x_k).
            let a = Float(t / tNext)
            for i in 0..<m { y[i] = current[i] + a * (candidate[i] - current[i]) }
            for i in 0..<size { dy[i] = dCurrent[i] + a * (dCandidate[i] - dCurrent[i]) }
          }
          t = tNext
          trace?(energy)
          if accepted && decrease <= Double(tolerance) * abs(energy) { break }
        }
        out.update(from: current, count: m)
        dOut.update(from: dCurrent, count: size)
        return (energy, done)
      }
    }
  }

  // MARK: - Reductions, sixteen Float lanes at a time

  /// r ← ω ⊙ (x − x̂) over one plane; returns Σ r·(x − x̂), the plane's weighted squared error.
  static func weightedResidual(
    _ x: UnsafePointer<Float>, _ image: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
    count: Int, into r: UnsafeMutablePointer<Float>
  ) -> Double {
    var acc = VectorMath.Lanes(repeating: 0)
    for i in stride(from: 0, to: count, by: 16) {
      let d = VectorMath.load(x, at: i, count: count) - VectorMath.load(image, at: i, count: count)
      let weighted = VectorMath.load(w, at: i, count: count) * d
      VectorMath.store(weighted, to: r, at: i, count: count)
      acc += weighted * d
    }
    return Double(acc.sum())
  }

  /// Σ |z|.
  static func absoluteSum(_ z: UnsafePointer<Float>, count: Int) -> Double {
    var acc = VectorMath.Lanes(repeating: 0)
    for i in stride(from: 0, to: count, by: 16) {
      let v = VectorMath.load(z, at: i, count: count)
      acc += v.replacing(with: -v, where: v .< 0)
    }
    return Double(acc.sum())
  }

  /// ⟨p − y, g⟩ and ‖p − y‖², for the backtracking test.
  static func stepStatistics(
    _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, count: Int
  ) -> (linear: Double, squared: Double) {
    var linear = VectorMath.Lanes(repeating: 0)
    var squared = VectorMath.Lanes(repeating: 0)
    for i in stride(from: 0, to: count, by: 16) {
      let d = VectorMath.load(p, at: i, count: count) - VectorMath.load(y, at: i, count: count)
      linear += d * VectorMath.load(g, at: i, count: count)
      squared += d * d
    }
    return (Double(linear.sum()), Double(squared.sum()))
  }

  // MARK: - Buffers

  /// One worker's buffers for one example: five code-sized, five input-sized, and the convolution's.
  final class WorkerBuffers: @unchecked Sendable {
    let codes: [UnsafeMutablePointer<Float>]
    let images: [UnsafeMutablePointer<Float>]
    let convolution: UnsafeMutablePointer<Float>

    init(shape s: ConvolutionShape) {
      func make(_ n: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
        p.initialize(repeating: 0, count: max(1, n))
        return p
      }
      codes = (0..<5).map { _ in make(s.outputSize) }
      images = (0..<5).map { _ in make(s.inputSize) }
      convolution = make(Convolution.scratchFloats(s, count: 1))
    }

    deinit {
      for p in codes + images { p.deallocate() }
      convolution.deallocate()
    }
  }

  /// Buffers for every worker, for one input shape; a trainer keeps one across batches.
  public final class Workspace: @unchecked Sendable {
    public let shape: ConvolutionShape
    let workers: [WorkerBuffers]

    public init(shape: ConvolutionShape, workers: Int) {
      self.shape = shape
      self.workers = (0..<max(1, workers)).map { _ in WorkerBuffers(shape: shape) }
    }
  }

  /// Per-example traces in separate memory locations, each written only by the task that owns the
  /// example (an array of arrays would be one location shared by every task).
  private final class TraceBox: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<[Double]>
    init(count: Int) {
      values = .allocate(capacity: count)
      _ = values.initialize(from: repeatElement([], count: count))
    }
    func release() {
      values.deinitialize()
      values.deallocate()
    }
  }
}
