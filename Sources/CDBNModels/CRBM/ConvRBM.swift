import CDBNNumerics
import CDBNStorage
import RealModule

/// The kind of visible units of a ConvRBM.
public enum VisibleUnits: String, Sendable, CaseIterable {
  /// Bernoulli units; the visible mean is a sigmoid.
  case binary
  /// Real-valued units with variance σ²; the visible mean is linear.
  case gaussian
}

/// A convolutional RBM with probabilistic max-pooling (Lee, Grosse, Ranganath, Ng, ICML 2009).
///
/// K groups of detection units see the input through filters W[k] (valid cross-correlation, no flip):
///   I[n,k,i,j] = (b_k + Σ_c Σ_{a,b} W[k,c,a,b]·v[n,c,i+a,j+b]) / σ²
/// The visible mean given h is c + Σ_k (full convolution of h_k with W_k) for Gaussian units (σ is
/// their standard deviation), and sigmoid(c + Σ_k (h_k ∗ W_k) / σ²) for binary units, where 1/σ² is
/// a gain on the filters in both directions: both conditionals come from the one energy
/// E(v, h) = −c·v − Σ h·I (pooling constraints aside). Lee's code
/// trains binary layers above the first with such a σ (0.2 on natural images): layer 1's pooled maps
/// are sparse (mean ≈ 0.015), and at σ = 1 filters of the usual starting scale cannot move a
/// hidden unit away from its bias. Pooling blocks of ph×pw detection units form a multinomial over
/// ph·pw+1 states (see `ProbabilisticMaxPooling`).
public struct ConvRBM: FeatureLayer, Equatable {
  public static let kind = "crbm"

  public var visible: VisibleUnits
  /// [K, C, fh, fw].
  public var weights: Tensor
  /// b, one per group.
  public var hiddenBias: [Float]
  /// c, one per input channel.
  public var visibleBias: [Float]
  public var poolHeight: Int
  public var poolWidth: Int
  /// Standard deviation of Gaussian visible units; for binary units 1/σ² is a gain on the filters.
  public var sigma: Float

  /// The standard deviation of a new layer's filters (Lee's code's 0.01).
  public static let initialWeightStd: Float = 0.01

  /// A new layer with weights drawn from N(0, 0.01²), hidden biases −0.1 and visible biases 0.
  public init(
    visible: VisibleUnits, channels: Int, filters: Int, filterHeight: Int, filterWidth: Int,
    poolHeight: Int, poolWidth: Int, sigma: Float = 1, seed: UInt64
  ) throws {
    guard channels > 0, filters > 0, filterHeight > 0, filterWidth > 0 else {
      throw ModelError.invalidConfiguration(
        "crbm needs positive channels, filters and filter size (got C=\(channels), K=\(filters), \(filterHeight)×\(filterWidth))"
      )
    }
    guard poolHeight > 0, poolWidth > 0 else {
      throw ModelError.invalidConfiguration(
        "crbm pooling must be positive (got \(poolHeight)×\(poolWidth))")
    }
    guard sigma > 0, sigma.isFinite else {
      throw ModelError.invalidConfiguration("crbm sigma must be positive and finite (got \(sigma))")
    }
    var rng = RandomStream(seed: seed, stream: 0xC2B)
    var w = Tensor(zeros: [filters, channels, filterHeight, filterWidth])
    for i in 0..<w.count { w.scalars[i] = Self.initialWeightStd * rng.nextNormal() }
    self.visible = visible
    self.weights = w
    self.hiddenBias = [Float](repeating: -0.1, count: filters)
    self.visibleBias = [Float](repeating: 0, count: channels)
    self.poolHeight = poolHeight
    self.poolWidth = poolWidth
    self.sigma = sigma
  }

  public var inputChannels: Int { weights.shape[1] }
  public var outputChannels: Int { weights.shape[0] }
  public var filterHeight: Int { weights.shape[2] }
  public var filterWidth: Int { weights.shape[3] }
  public var filters: Tensor { weights }
  public var pooling: [Int] { [poolHeight, poolWidth] }

  /// 1/σ², the factor on the bottom-up input (and, for binary units, on the top-down input).
  public var inputScale: Float { 1 / (sigma * sigma) }

  public func convolutionShape(height: Int, width: Int) -> ConvolutionShape {
    ConvolutionShape(
      channels: inputChannels, height: height, width: width, filters: outputChannels,
      filterHeight: filterHeight, filterWidth: filterWidth)
  }

  public func poolingShape(height: Int, width: Int) -> PoolingShape {
    let s = convolutionShape(height: height, width: width)
    return PoolingShape(
      height: s.outputHeight, width: s.outputWidth, poolHeight: poolHeight, poolWidth: poolWidth)
  }

  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int)? {
    guard height >= filterHeight, width >= filterWidth else { return nil }
    let p = poolingShape(height: height, width: width)
    return (p.pooledHeight, p.pooledWidth)
  }

  /// P(h = 1 | v) [N, K, Hh, Wh] and P(p = 1 | v) [N, K, Hp, Wp].
  public func hiddenProbabilities(_ v: Tensor) throws -> (hidden: Tensor, pooled: Tensor) {
    try validate(v)
    var h = Convolution.correlateValid(v, weights)
    let n = v.shape[0]
    let g = poolingShape(height: v.shape[2], width: v.shape[3])
    let k = outputChannels
    var pooled = Tensor(zeros: [n, k, g.pooledHeight, g.pooledWidth])
    let scale = inputScale
    hiddenBias.withUnsafeBufferPointer { b in
      h.scalars.withUnsafeMutableBufferPointer { hp in
        pooled.scalars.withUnsafeMutableBufferPointer { pp in
          nonisolated(unsafe) let (b, hp, pp) = (b.baseAddress!, hp.baseAddress!, pp.baseAddress!)
          let plan = ChunkPlan(examples: n, floatsPerExample: k * g.plane)
          let scratch = Scratch(
            workers: Parallelism.threads, floats: plan.largest * k * g.pooledPlane)
          Parallelism.forEach(plan.ranges.count) { task, worker in
            let off = scratch.buffer(worker)
            for e in plan.ranges[task] {
              ProbabilisticMaxPooling.probabilities(
                g, count: k, values: hp + e * k * g.plane, bias: b, scale: scale,
                pooled: pp + e * k * g.pooledPlane, off: off)
            }
          }
        }
      }
    }
    return (h, pooled)
  }

  /// The pooling-unit probabilities P(p = 1 | v): the layer's features and the next layer's input.
  public func features(_ input: Tensor) throws -> Tensor {
    try hiddenProbabilities(input).pooled
  }

  /// E[v | h] for detection states (or probabilities) h [N, K, Hh, Wh].
  public func visibleMean(_ h: Tensor) -> Tensor {
    var v = Convolution.convolveFull(h, weights)
    let (n, c, hh, ww) = v.dims4
    let plane = hh * ww
    let gain = visible == .binary ? inputScale : 1
    for e in 0..<n {
      for ch in 0..<c {
        let base = (e * c + ch) * plane
        for i in 0..<plane { v.scalars[base + i] = gain * v.scalars[base + i] + visibleBias[ch] }
      }
    }
    if visible == .binary {
      v.scalars.withUnsafeMutableBufferPointer {
        VectorMath.sigmoidInPlace($0.baseAddress!, count: $0.count)
      }
    }
    return v
  }

  /// Free energy F(v) per example, with the hidden and pooling units summed out:
  ///   F(v) = ‖v − c‖²/(2σ²) − Σ_blocks log(1 + Σ_B exp I)   (Gaussian)
  ///   F(v) = −Σ c·v − Σ_blocks log(1 + Σ_B exp I)            (binary)
  public func freeEnergy(_ v: Tensor) throws -> [Double] {
    try validate(v)
    let x = Convolution.correlateValid(v, weights)
    let (n, c, hh, ww) = v.dims4
    let g = poolingShape(height: hh, width: ww)
    let k = outputChannels
    var result = [Double](repeating: 0, count: n)
    for e in 0..<n {
      var f = 0.0
      for ch in 0..<c {
        for i in 0..<(hh * ww) {
          let value = Double(v.scalars[(e * c + ch) * hh * ww + i])
          let bias = Double(visibleBias[ch])
          if visible == .gaussian {
            f += (value - bias) * (value - bias) / (2 * Double(sigma) * Double(sigma))
          } else {
            f -= bias * value
          }
        }
      }
      for kk in 0..<k {
        for bi in 0..<g.pooledHeight {
          for bj in 0..<g.pooledWidth {
            var inputs: [Double] = [0]
            for i in (bi * poolHeight)..<min((bi + 1) * poolHeight, g.height) {
              for j in (bj * poolWidth)..<min((bj + 1) * poolWidth, g.width) {
                let raw = Double(x.scalars[((e * k + kk) * g.height + i) * g.width + j])
                inputs.append((raw + Double(hiddenBias[kk])) * Double(inputScale))
              }
            }
            let m = inputs.max()!
            f -= m + Double.log(inputs.reduce(0) { $0 + Double.exp($1 - m) })
          }
        }
      }
      result[e] = f
    }
    return result
  }

  /// ∂(−ΣF)/∂θ over the batch: the positive-phase statistics scaled by 1/σ².
  public func freeEnergyGradient(_ v: Tensor) throws -> (
    weights: Tensor, hiddenBias: [Float], visibleBias: [Float]
  ) {
    let (h, _) = try hiddenProbabilities(v)
    let s = inputScale
    var gw = Convolution.weightGradient(
      input: v, maps: h, filterHeight: filterHeight, filterWidth: filterWidth)
    for i in 0..<gw.count { gw.scalars[i] *= s }
    let (n, k, hh, ww) = h.dims4
    var gb = [Float](repeating: 0, count: k)
    for e in 0..<n {
      for kk in 0..<k {
        var sum: Float = 0
        for i in 0..<(hh * ww) { sum += h.scalars[(e * k + kk) * hh * ww + i] }
        gb[kk] += sum * s
      }
    }
    let (_, c, vh, vw) = v.dims4
    var gc = [Float](repeating: 0, count: c)
    for e in 0..<n {
      for ch in 0..<c {
        var sum: Float = 0
        for i in 0..<(vh * vw) {
          let value = v.scalars[(e * c + ch) * vh * vw + i]
          sum += visible == .gaussian ? (value - visibleBias[ch]) * s : value
        }
        gc[ch] += sum
      }
    }
    return (gw, gb, gc)
  }
}
