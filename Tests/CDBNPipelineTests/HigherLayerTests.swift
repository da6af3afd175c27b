import CDBNModels
import CDBNNumerics
import CDBNPipeline
import Foundation
import Testing

/// A layer above the first must learn the structure of its sparse input: planted two-part patterns
/// in maps as sparse as layer 1's pooled maps, recovered with σ from the input (StartingScale) and
/// missed at σ = 1, where every filter gets the same gradient and the health check says so.
@Suite struct HigherLayerTests {
  /// The planted "parts": two channels on at once, the second at an offset from the first.
  static let patterns: [(first: Int, second: Int, dy: Int, dx: Int)] = [
    (0, 1, 0, 2), (2, 3, 2, 0), (1, 2, 2, 2), (3, 0, 1, 0),
  ]

  /// `count` maps [4, 12, 12], each with 12 planted patterns at random places (mean 0.04, as
  /// sparse as a layer-1 pooled map on audio): the input of a second layer whose first layer has
  /// four groups.
  static func plantedMaps(count: Int, seed: UInt64) -> Tensor {
    var rng = RandomStream(seed: seed)
    var t = Tensor(zeros: [count, 4, 12, 12])
    for e in 0..<count {
      for _ in 0..<12 {
        let p = patterns[rng.nextInt(below: patterns.count)]
        let (i, j) = (rng.nextInt(below: 9), rng.nextInt(below: 9))
        t[e, p.first, i, j] = 1
        t[e, p.second, i + p.dy, j + p.dx] = 1
      }
    }
    return t
  }

  /// Filters [4, 3, 3] that are 1 on pattern `p`'s two taps, at every placement in the window.
  static func templates(_ p: (first: Int, second: Int, dy: Int, dx: Int)) -> [[Float]] {
    var out: [[Float]] = []
    for i in 0..<(3 - p.dy) {
      for j in 0..<(3 - p.dx) {
        var w = [Float](repeating: 0, count: 4 * 9)
        w[p.first * 9 + i * 3 + j] = 1
        w[p.second * 9 + (i + p.dy) * 3 + j + p.dx] = 1
        out.append(w)
      }
    }
    return out
  }

  /// Eight 3×3 filters trained for 400 updates (learning rate 0.05, decay 0.001) from the starting
  /// scale measured on the data, or at σ = `sigma` with the same visible biases.
  static func train(sigma: Float?) throws -> ConvRBM {
    let data = plantedMaps(count: 400, seed: 1)
    let start = try #require(StartingScale(measuring: [data], fanIn: 4 * 9))
    var rbm = try ConvRBM(
      visible: .binary, channels: 4, filters: 8, filterHeight: 3, filterWidth: 3, poolHeight: 2,
      poolWidth: 2, sigma: sigma ?? start.sigma, seed: 3)
    rbm.visibleBias = start.visibleBias
    var settings = ContrastiveDivergence()
    settings.learningRate = 0.05
    settings.weightDecay = 0.001
    settings.sparsityTarget = 0.02
    let trainer = try ConvRBMTrainer(rbm: rbm, settings: settings, seed: 4)
    for epoch in 0..<20 {
      for b in 0..<20 {
        _ = try trainer.train(batch: data.slice((b * 20)..<((b + 1) * 20)), epoch: epoch)
      }
    }
    return trainer.rbm
  }

  /// The best |cos| of any filter with pattern `p` at any placement.
  static func match(_ rbm: ConvRBM, _ p: (first: Int, second: Int, dy: Int, dx: Int)) -> Float {
    let filters = (0..<rbm.outputChannels).map {
      Array(rbm.weights.scalars[($0 * 36)..<(($0 + 1) * 36)])
    }
    return templates(p).flatMap { t in
      filters.map { w in
        let dot = zip(w, t).reduce(0) { $0 + $1.0 * $1.1 }
        return abs(dot) / (sqrt(w.reduce(0) { $0 + $1 * $1 }) * sqrt(2))
      }
    }.max()!
  }

  @Test func aLayerStartedFromItsInputRecoversThePlantedPartsAndOneAtSigmaOneCollapses() throws {
    let learned = try Self.train(sigma: nil)
    let matches = Self.patterns.map { Self.match(learned, $0) }
    #expect(matches.allSatisfy { $0 > 0.95 }, "\(matches)")
    let health = LayerHealth(filters: learned.weights, meanActivation: nil, activationTarget: nil)
    #expect(health.warnings.isEmpty, "\(health.summary)")

    let collapsed = try Self.train(sigma: 1)
    let flat = LayerHealth(filters: collapsed.weights, meanActivation: nil, activationTarget: nil)
    #expect(flat.meanAbsoluteCosine > health.meanAbsoluteCosine)
    #expect(flat.warnings.contains { $0.hasPrefix("collapsed") }, "\(flat.summary)")
    #expect(Self.patterns.map { Self.match(collapsed, $0) }.max()! < 0.6)
  }

  @Test func healthMeasuresAlikeFiltersAndActivationAgainstTheTarget() {
    // Two filters equal, one opposite, one orthogonal: |cos| over 6 pairs is (1+1+1+0+0+0)/6.
    let filters = Tensor(
      shape: [4, 1, 1, 2], scalars: [1, 0, 2, 0, -1, 0, 0, 3])
    let h = LayerHealth(filters: filters, meanActivation: 0.0004, activationTarget: 0.005)
    #expect(abs(h.meanAbsoluteCosine - 0.5) < 1e-12)
    #expect(abs(h.weightRMS - (15.0 / 8).squareRoot()) < 1e-12)
    #expect(h.warnings.count == 2, "\(h.warnings)")
    #expect(h.warnings[1].hasPrefix("died"))
    let fine = LayerHealth(filters: filters, meanActivation: 0.004, activationTarget: 0.005)
    #expect(fine.warnings.count == 1)
    // Per unit: two of four below a tenth of the target (0.0005) have died, though the mean lives.
    let orthogonal = Tensor(shape: [4, 1, 1, 4], scalars: (0..<16).map { $0 % 5 == 0 ? 1 : 0 })
    let units = LayerHealth(
      filters: orthogonal, unitActivations: [0.009, 0.0001, 0.011, 0], activationTarget: 0.005)
    #expect(abs(units.meanActivation! - 0.0201 / 4) < 1e-12)
    #expect(units.deadUnits?.count == 2 && units.deadUnits?.of == 4)
    #expect(units.summary.contains("dead units 2 of 4"), "\(units.summary)")
    #expect(
      units.warnings == [
        "2 of its 4 units died (activation below a tenth of the target): a smaller weight decay or learning rate may keep them"
      ])
    // The same units, the dead ones with filters 6× and 1× the living ones' (norm 1): one of the
    // two diverged, which is half of the dead, so the advice is the learning rate.
    var grown = orthogonal
    for j in 4..<8 { grown.scalars[j] *= 6 }
    let diverged = LayerHealth(
      filters: grown, unitActivations: [0.009, 0.0001, 0.011, 0], activationTarget: 0.005)
    #expect(diverged.outsizedDeadUnits == 1)
    #expect(diverged.summary.contains("dead units 2 of 4 (1 with outsized filters)"))
    #expect(
      diverged.warnings == [
        "2 of its 4 units died (activation below a tenth of the target), 1 of them with filters over 5× the living units' norm (they diverged): a smaller learning rate may keep them"
      ])
    // At 4×, under the threshold: not diverged.
    for j in 4..<8 { grown.scalars[j] *= 4.0 / 6 }
    let large = LayerHealth(
      filters: grown, unitActivations: [0.009, 0.0001, 0.011, 0], activationTarget: 0.005)
    #expect(large.outsizedDeadUnits == 0 && large.warnings == units.warnings)
  }

  @Test func sigmaFollowsTheInputScale() throws {
    // Whitened pictures under 10×10 filters: σ² = 0.01·√100 = 0.1.
    let sigma = try #require(StartingScale.sigma(meanSquare: 1, fanIn: 100))
    #expect(abs(sigma * sigma - 0.1) < 1e-6)
    // Four times the mean square: a unit's input doubles, so σ² doubles.
    let louder = try #require(StartingScale.sigma(meanSquare: 4, fanIn: 100))
    #expect(abs(louder * louder - 0.2) < 1e-6)
    #expect(StartingScale.sigma(meanSquare: 0, fanIn: 100) == nil)

    // Measured: E[v²] = 1/8 under 8 taps gives σ² = 0.01; biases at the logit of each channel's
    // mean, a silent channel at logit(0.001).
    let input = Tensor(shape: [1, 2, 1, 4], scalars: [1, 0, 0, 0, 0, 0, 0, 0])
    let start = try #require(StartingScale(measuring: [input], fanIn: 8))
    #expect(abs(start.sigma * start.sigma - 0.01) < 1e-7)
    #expect(abs(start.visibleBias[0] - Float(log(0.25 / 0.75))) < 1e-6)
    #expect(abs(start.visibleBias[1] - Float(log(0.001 / 0.999))) < 1e-6)
    #expect(StartingScale(measuring: [Tensor(zeros: [1, 2, 1, 4])], fanIn: 8) == nil)
  }
}
