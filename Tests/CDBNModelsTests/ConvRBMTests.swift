import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, positive: Bool = false) -> Tensor
{
  var rng = RandomStream(seed: seed)
  var t = Tensor(zeros: shape)
  for i in 0..<t.count { t.scalars[i] = positive ? rng.nextFloat() : scale * rng.nextNormal() }
  return t
}

/// A deliberately slow CD-1 in Double with explicit loops, consuming the same uniforms in the same
/// order as the trainer (groups, then examples, then blocks in row-major order).
struct NaiveCD1 {
  let rbm: ConvRBM

  func bottomUp(_ v: Tensor) -> [[[Double]]] {  // [e][k][i*W+j], I with bias and 1/σ²
    let (n, c, h, w) = v.dims4
    let (k, _, fh, fw) = rbm.weights.dims4
    let (ho, wo) = (h - fh + 1, w - fw + 1)
    return (0..<n).map { e in
      (0..<k).map { kk in
        var plane = [Double](repeating: 0, count: ho * wo)
        for i in 0..<ho {
          for j in 0..<wo {
            var s = Double(rbm.hiddenBias[kk])
            for ch in 0..<c {
              for a in 0..<fh {
                for b in 0..<fw {
                  s += Double(rbm.weights[kk, ch, a, b]) * Double(v[e, ch, i + a, j + b])
                }
              }
            }
            plane[i * wo + j] = s * Double(rbm.inputScale)
          }
        }
        return plane
      }
    }
  }

  func blocks(_ g: PoolingShape) -> [[Int]] {
    var out: [[Int]] = []
    for bi in 0..<g.pooledHeight {
      for bj in 0..<g.pooledWidth {
        var u: [Int] = []
        for i in (bi * g.poolHeight)..<min((bi + 1) * g.poolHeight, g.height) {
          for j in (bj * g.poolWidth)..<min((bj + 1) * g.poolWidth, g.width) {
            u.append(i * g.width + j)
          }
        }
        out.append(u)
      }
    }
    return out
  }

  func probabilities(_ input: [Double], _ g: PoolingShape) -> (hidden: [Double], off: [Double]) {
    var hidden = [Double](repeating: 0, count: input.count)
    var off: [Double] = []
    for units in blocks(g) {
      let z = 1 + units.reduce(0) { $0 + exp(input[$1]) }
      for u in units { hidden[u] = exp(input[u]) / z }
      off.append(1 / z)
    }
    return (hidden, off)
  }

  /// Returns the statistics the trainer should produce for `v` with the stream `rng`.
  func statistics(_ v: Tensor, rng: inout RandomStream) -> (
    w: [Double], b: [Double], c: [Double], error: Double
  ) {
    let (n, c, h, w) = v.dims4
    let (k, _, fh, fw) = rbm.weights.dims4
    let g = rbm.poolingShape(height: h, width: w)
    let positive = bottomUp(v).map { $0.map { probabilities($0, g) } }
    // Sample in the trainer's order.
    var sample = [[[Double]]](
      repeating: [[Double]](repeating: [Double](repeating: 0, count: g.plane), count: k), count: n)
    let blockList = blocks(g)
    for kk in 0..<k {
      // One row of uniforms per group, over the chunk's examples and blocks, as the trainer draws.
      var row = [Float](repeating: 0, count: n * blockList.count)
      row.withUnsafeMutableBufferPointer { rng.fillUniform($0) }
      for e in 0..<n {
        let (p, off) = positive[e][kk]
        for (q, units) in blockList.enumerated() {
          let u = Double(row[e * blockList.count + q])
          var cumulative = Double(Float(off[q]))
          if u >= cumulative {
            var chosen = units.last!
            for unit in units {
              cumulative += p[unit]
              if u < cumulative {
                chosen = unit
                break
              }
            }
            sample[e][kk][chosen] = 1
          }
        }
      }
    }
    // Reconstruction: c + Σ_k full(h_k, W_k) for Gaussian units; for binary units
    // sigmoid(c + Σ_k full(h_k, W_k) / σ²).
    let gain = rbm.visible == .binary ? Double(rbm.inputScale) : 1
    var recon = Tensor(zeros: v.shape)
    for e in 0..<n {
      for ch in 0..<c {
        for y in 0..<h {
          for x in 0..<w {
            var s = 0.0
            for kk in 0..<k {
              for a in 0..<fh {
                for b in 0..<fw {
                  let (i, j) = (y - a, x - b)
                  if i >= 0, j >= 0, i < g.height, j < g.width {
                    s += Double(rbm.weights[kk, ch, a, b]) * sample[e][kk][i * g.width + j]
                  }
                }
              }
            }
            s = Double(rbm.visibleBias[ch]) + gain * s
            recon[e, ch, y, x] = Float(rbm.visible == .binary ? 1 / (1 + exp(-s)) : s)
          }
        }
      }
    }
    let negative = bottomUp(recon).map { $0.map { probabilities($0, g).hidden } }
    var gw = [Double](repeating: 0, count: rbm.weights.count)
    var gb = [Double](repeating: 0, count: k)
    var gc = [Double](repeating: 0, count: c)
    var error = 0.0
    for e in 0..<n {
      for kk in 0..<k {
        for i in 0..<g.height {
          for j in 0..<g.width {
            let pp = positive[e][kk].hidden[i * g.width + j]
            let pn = negative[e][kk][i * g.width + j]
            gb[kk] += pp - pn
            for ch in 0..<c {
              for a in 0..<fh {
                for b in 0..<fw {
                  gw[((kk * c + ch) * fh + a) * fw + b] +=
                    pp * Double(v[e, ch, i + a, j + b]) - pn * Double(recon[e, ch, i + a, j + b])
                }
              }
            }
          }
        }
      }
      for ch in 0..<c {
        for y in 0..<h {
          for x in 0..<w {
            gc[ch] += Double(v[e, ch, y, x] - recon[e, ch, y, x])
            error += Double(
              (v[e, ch, y, x] - recon[e, ch, y, x]) * (v[e, ch, y, x] - recon[e, ch, y, x]))
          }
        }
      }
    }
    let hiddenUnits = Double(n * g.plane)
    let visibleUnits = Double(n * h * w)
    return (
      gw.map { $0 / hiddenUnits }, gb.map { $0 / hiddenUnits }, gc.map { $0 / visibleUnits },
      error / Double(v.count)
    )
  }
}

@Suite struct ConvRBMTests {
  static func model(_ visible: VisibleUnits, channels: Int, pool: (Int, Int), filter: (Int, Int))
    throws -> ConvRBM
  {
    var rbm = try ConvRBM(
      visible: visible, channels: channels, filters: 3, filterHeight: filter.0,
      filterWidth: filter.1,
      poolHeight: pool.0, poolWidth: pool.1, sigma: 0.7, seed: 11)
    rbm.weights = randomTensor(rbm.weights.shape, seed: 12, scale: 0.4)
    rbm.hiddenBias = [0.2, -0.5, 0.1]
    rbm.visibleBias = (0..<channels).map { Float($0) * 0.1 - 0.05 }
    return rbm
  }

  @Test(arguments: [VisibleUnits.binary, .gaussian], [ConvRBMTrainer.TopDownPass.dense, .sparse])
  func cdStatisticsMatchNaiveLoops(_ visible: VisibleUnits, _ topDown: ConvRBMTrainer.TopDownPass)
    throws
  {
    for (channels, shape, pool, filter) in [
      (2, [3, 2, 7, 6], (2, 2), (3, 3)),  // ragged pooling on a 5×4 detection map
      (4, [2, 4, 1, 11], (1, 3), (1, 3)),  // 1-D, audio-like
    ] {
      let rbm = try Self.model(visible, channels: channels, pool: pool, filter: filter)
      let v = randomTensor(shape, seed: 13, positive: visible == .binary)
      let trainer = try ConvRBMTrainer(rbm: rbm, settings: ContrastiveDivergence(), seed: 99)
      trainer.topDownPass = topDown
      let fast = try trainer.gradient(of: v)
      var rng = RandomStream(seed: 99, stream: 0)
      let slow = NaiveCD1(rbm: rbm).statistics(v, rng: &rng)
      for i in 0..<slow.w.count {
        #expect(abs(Double(fast.weights[i]) - slow.w[i]) < 1e-4, "dW[\(i)]")
      }
      for i in 0..<slow.b.count {
        #expect(abs(Double(fast.hiddenBias[i]) - slow.b[i]) < 1e-5, "db[\(i)]")
      }
      for i in 0..<slow.c.count {
        #expect(abs(Double(fast.visibleBias[i]) - slow.c[i]) < 1e-5, "dc[\(i)]")
      }
      #expect(abs(fast.statistics.reconstructionError - slow.error) < 1e-4 * max(1, slow.error))
    }
  }

  /// Shapes drawn at random from what a config may ask for (maps of 1–18 × 1–21, filters that fit,
  /// pooling blocks of 1–9 that need not divide the map, 1–3 channels and 1–4 groups): CD-1 on
  /// both top-down routes against the naive loops. Every accepted setting must work, not only the
  /// shapes the experiments use (pooling 7 on a 17×17 map trapped once).
  @Test(arguments: [ConvRBMTrainer.TopDownPass.dense, .sparse])
  func cdStatisticsMatchNaiveLoopsOnRandomAcceptedShapes(_ topDown: ConvRBMTrainer.TopDownPass)
    throws
  {
    var draw = RandomStream(seed: 2026)
    func pick(_ range: ClosedRange<Int>) -> Int {
      range.lowerBound + Int(draw.nextFloat() * Float(range.count)) % range.count
    }
    for _ in 0..<24 {
      let (c, k) = (pick(1...3), pick(1...4))
      let (h, w) = (pick(1...18), pick(1...21))
      let (fh, fw) = (pick(1...h), pick(1...w))
      let (ph, pw) = (pick(1...9), pick(1...9))
      let visible: VisibleUnits = draw.nextFloat() < 0.5 ? .binary : .gaussian
      var rbm = try ConvRBM(
        visible: visible, channels: c, filters: k, filterHeight: fh, filterWidth: fw,
        poolHeight: ph, poolWidth: pw, sigma: 0.8, seed: 3)
      rbm.weights = randomTensor(rbm.weights.shape, seed: 4, scale: 0.4)
      let v = randomTensor([2, c, h, w], seed: 5, positive: visible == .binary)
      let trainer = try ConvRBMTrainer(rbm: rbm, settings: ContrastiveDivergence(), seed: 6)
      trainer.topDownPass = topDown
      let fast = try trainer.gradient(of: v)
      var rng = RandomStream(seed: 6, stream: 0)
      let slow = NaiveCD1(rbm: rbm).statistics(v, rng: &rng)
      let shape = "C \(c) K \(k) map \(h)×\(w) filter \(fh)×\(fw) pool \(ph)×\(pw) \(visible)"
      let worst = zip(fast.weights, slow.w).map { abs(Double($0) - $1) }.max() ?? 0
      #expect(worst < 1e-4, "dW off by \(worst): \(shape)")
      let worstBias = zip(fast.hiddenBias, slow.b).map { abs(Double($0) - $1) }.max() ?? 0
      #expect(worstBias < 1e-5, "db off by \(worstBias): \(shape)")
    }
  }

  /// −∂F/∂θ by central differences of the free energy against `freeEnergyGradient`.
  @Test(arguments: [VisibleUnits.binary, .gaussian])
  func freeEnergyGradientMatchesFiniteDifferences(_ visible: VisibleUnits) throws {
    let rbm = try Self.model(visible, channels: 2, pool: (2, 2), filter: (3, 2))
    let v = randomTensor([2, 2, 6, 5], seed: 14, positive: visible == .binary)
    let analytic = try rbm.freeEnergyGradient(v)
    let eps: Float = 1e-2
    func total(_ m: ConvRBM) throws -> Double { try m.freeEnergy(v).reduce(0, +) }
    for i in stride(from: 0, to: rbm.weights.count, by: 5) {
      var plus = rbm
      plus.weights.scalars[i] += eps
      var minus = rbm
      minus.weights.scalars[i] -= eps
      let numeric = -(try total(plus) - total(minus)) / Double(2 * eps)
      #expect(
        abs(numeric - Double(analytic.weights.scalars[i])) < 2e-3 * max(1, abs(numeric)), "W[\(i)]")
    }
    for k in 0..<3 {
      var plus = rbm
      plus.hiddenBias[k] += eps
      var minus = rbm
      minus.hiddenBias[k] -= eps
      let numeric = -(try total(plus) - total(minus)) / Double(2 * eps)
      #expect(
        abs(numeric - Double(analytic.hiddenBias[k])) < 2e-3 * max(1, abs(numeric)), "b[\(k)]")
    }
    for c in 0..<2 {
      var plus = rbm
      plus.visibleBias[c] += eps
      var minus = rbm
      minus.visibleBias[c] -= eps
      let numeric = -(try total(plus) - total(minus)) / Double(2 * eps)
      #expect(
        abs(numeric - Double(analytic.visibleBias[c])) < 2e-3 * max(1, abs(numeric)), "c[\(c)]")
    }
  }

  @Test func featuresArePoolingProbabilities() throws {
    let rbm = try Self.model(.gaussian, channels: 1, pool: (2, 2), filter: (3, 3))
    let v = randomTensor([2, 1, 8, 8], seed: 15)
    let (hidden, pooled) = try rbm.hiddenProbabilities(v)
    #expect(pooled.shape == [2, 3, 3, 3])
    // P(p = 1) is the sum of the block's detection probabilities.
    for e in 0..<2 {
      for k in 0..<3 {
        let s = hidden[e, k, 2, 4] + hidden[e, k, 2, 5] + hidden[e, k, 3, 4] + hidden[e, k, 3, 5]
        #expect(abs(pooled[e, k, 1, 2] - s) < 1e-5)
      }
    }
    #expect(try rbm.features(v) == pooled)
  }

  @Test func badInputIsATypedError() throws {
    let rbm = try Self.model(.binary, channels: 2, pool: (2, 2), filter: (3, 3))
    #expect(throws: ModelError.self) { try rbm.features(Tensor(zeros: [1, 3, 8, 8])) }
    #expect(throws: ModelError.self) { try rbm.features(Tensor(zeros: [1, 2, 2, 8])) }
    var nan = Tensor(zeros: [1, 2, 5, 5])
    nan.scalars[7] = .nan
    #expect(throws: ModelError.self) { try rbm.features(nan) }
    #expect(throws: ModelError.self) {
      try ConvRBM(
        visible: .gaussian, channels: 1, filters: 0, filterHeight: 3, filterWidth: 3, poolHeight: 2,
        poolWidth: 2, seed: 1)
    }
    var bad = ContrastiveDivergence()
    bad.learningRate = -1
    #expect(throws: ModelError.self) { try ConvRBMTrainer(rbm: rbm, settings: bad, seed: 1) }
  }
}
