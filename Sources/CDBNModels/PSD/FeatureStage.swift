import CDBNNumerics

/// The feature-extraction stage after a layer's code maps, as in Jarrett et al. (2009) and
/// Kavukcuoglu et al. (2010): rectification |z|, local contrast normalisation across the maps, then
/// average pooling over non-overlapping ph×pw blocks (blocks at the bottom and right edges are
/// smaller when the map is not a multiple of the block, like the CRBM's pooling).
public struct FeatureStage: Sendable, Equatable {
  public var rectify: Bool = true
  /// The LCN window side (odd) and its Gaussian σ, in map positions; nil skips the normalisation.
  public var contrast: (size: Int, sigma: Float)? = Self.defaultContrast
  public var poolHeight: Int
  public var poolWidth: Int

  /// The LCN of Jarrett et al.: a 9×9 window, σ 2.
  public static let defaultContrast: (size: Int, sigma: Float) = (9, 2)

  public init(
    rectify: Bool = true, contrast: (size: Int, sigma: Float)? = Self.defaultContrast,
    pooling: [Int]
  ) {
    precondition(pooling.count == 2)
    self.rectify = rectify
    self.contrast = contrast
    poolHeight = pooling[0]
    poolWidth = pooling[1]
  }

  public static func == (a: FeatureStage, b: FeatureStage) -> Bool {
    a.rectify == b.rectify && a.contrast?.size == b.contrast?.size
      && a.contrast?.sigma == b.contrast?.sigma && a.poolHeight == b.poolHeight
      && a.poolWidth == b.poolWidth
  }

  public var pooling: [Int] { [poolHeight, poolWidth] }

  public func validate() throws {
    guard poolHeight > 0, poolWidth > 0, poolHeight < 1 << 16, poolWidth < 1 << 16 else {
      throw ModelError.invalidConfiguration(
        "pooling must be positive (got \(poolHeight)×\(poolWidth))")
    }
    if let c = contrast {
      guard c.size > 0, c.size % 2 == 1, c.size < 1 << 12 else {
        throw ModelError.invalidConfiguration("lcn_size must be odd and positive (got \(c.size))")
      }
      guard c.sigma > 0, c.sigma.isFinite else {
        throw ModelError.invalidConfiguration("lcn_sigma must be positive (got \(c.sigma))")
      }
    }
  }

  /// Pooled size of maps of `height`×`width`.
  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    let p = windows(height: height, width: width)
    return (p.outputHeight, p.outputWidth)
  }

  func windows(height: Int, width: Int) -> PoolingWindows {
    PoolingWindows(
      height: height, width: width, window: (min(poolHeight, height), min(poolWidth, width)),
      stride: (poolHeight, poolWidth), ragged: true)
  }

  /// Maps [N, K, H, W] → features [N, K, Hp, Wp], examples in parallel.
  public func apply(_ maps: Tensor) -> Tensor {
    let (n, k, h, w) = maps.dims4
    let pool = windows(height: h, width: w)
    let plane = h * w
    let lcn = contrast.map {
      LocalContrast(channels: k, height: h, width: w, size: $0.size, sigma: $0.sigma)
    }
    // Per worker: the example's maps, then LCN's centred maps, σ, divisors and planes.
    let lcnFloats = lcn.map { k * plane + 2 * plane + $0.scratchFloats } ?? 0
    let scratch = Scratch(workers: min(Parallelism.threads, n), floats: k * plane + lcnFloats)
    var out = Tensor(zeros: [n, k, pool.outputHeight, pool.outputWidth])
    let rectify = self.rectify
    maps.scalars.withUnsafeBufferPointer { src in
      out.scalars.withUnsafeMutableBufferPointer { dst in
        nonisolated(unsafe) let (src, dst) = (src.baseAddress!, dst.baseAddress!)
        Parallelism.forEach(n) { e, worker in
          let buffer = scratch.buffer(worker)
          let x = src + e * k * plane
          if rectify {
            for i in 0..<(k * plane) { buffer[i] = abs(x[i]) }
          } else {
            buffer.update(from: x, count: k * plane)
          }
          if let lcn {
            let centred = buffer + k * plane
            let deviation = centred + k * plane
            lcn.normalize(
              buffer, into: buffer, centred: centred, deviation: deviation,
              divisors: deviation + plane, scratch: deviation + 2 * plane)
          }
          pool.average(buffer, planes: k, into: dst + e * k * pool.outputPlane)
        }
      }
    }
    return out
  }
}
