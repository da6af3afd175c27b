import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics

/// Every shape a config may ask for must work, not only the ones the experiments use: PSD and
/// DeconvNet layers on shapes drawn at random from what their settings accept (1–3 channels, 1–4
/// maps, maps from a single row or column up, filters that fit, pooling blocks that need not
/// divide the map), against the naive loops of `PSDTests` and `DeconvTests`. The CRBM has its own
/// (`ConvRBMTests.cdStatisticsMatchNaiveLoopsOnRandomAcceptedShapes`).
@Suite struct AcceptedShapeTests {
  /// Draws from fixed seeds, so a failure names a shape that can be run again.
  struct Draw {
    var stream: RandomStream
    init(seed: UInt64) { stream = RandomStream(seed: seed) }
    mutating func pick(_ range: ClosedRange<Int>) -> Int {
      range.lowerBound + Int(stream.nextFloat() * Float(range.count)) % range.count
    }
    mutating func coin() -> Bool { stream.nextFloat() < 0.5 }
  }

  /// The mean (or largest) |value| of every block of `ph`×`pw`, smaller at the bottom and right
  /// edges, by loops.
  static func naivePool(_ t: Tensor, _ ph: Int, _ pw: Int, largest: Bool) -> [Float] {
    let (n, k, h, w) = t.dims4
    var out: [Float] = []
    for plane in 0..<(n * k) {
      for bi in stride(from: 0, to: h, by: ph) {
        for bj in stride(from: 0, to: w, by: pw) {
          var values: [Float] = []
          for i in bi..<min(bi + ph, h) {
            for j in bj..<min(bj + pw, w) { values.append(abs(t.scalars[(plane * h + i) * w + j])) }
          }
          out.append(largest ? values.max()! : values.reduce(0, +) / Float(values.count))
        }
      }
    }
    return out
  }

  @Test func psdOnRandomAcceptedShapes() throws {
    var draw = Draw(seed: 2027)
    for trial in 0..<20 {
      let (c, k) = (draw.pick(1...3), draw.pick(1...4))
      let (h, w) = (draw.pick(1...12), draw.pick(1...14))
      let filter = (draw.pick(1...h), draw.pick(1...w))
      let pooling = [draw.pick(1...9), draw.pick(1...9)]
      let encoder: EncoderFunction = draw.coin() ? .tanh : .shrink
      let contrast: (size: Int, sigma: Float)? =
        draw.coin() ? nil : (2 * draw.pick(0...4) + 1, Float(draw.pick(1...6)) / 2)
      let shape =
        "trial \(trial): C \(c) K \(k) map \(h)×\(w) filter \(filter) pool \(pooling) \(encoder) LCN \(contrast.map { "\($0.size)" } ?? "off")"
      let layer = try psdLayer(
        encoder: encoder, channels: c, filters: k, filter: filter, iterations: 30,
        pooling: pooling, contrast: contrast, seed: UInt64(trial + 1))
      let x = randomTensor([2, c, h, w], seed: UInt64(100 + trial))
      let (ho, wo) = (h - filter.0 + 1, w - filter.1 + 1)

      // The energy of arbitrary codes against the naive sums.
      let z = randomTensor([2, k, ho, wo], seed: UInt64(200 + trial), scale: 0.5)
      let prediction = try layer.predict(x)
      let energies = try layer.energy(x, codes: z)
      let naive = NaivePSD(layer: layer, height: h, width: w)
      let (perInput, perCode) = (c * h * w, k * ho * wo)
      for e in 0..<2 {
        let want = naive.energy(
          x: x.scalars[(e * perInput)..<((e + 1) * perInput)].map(Double.init),
          z: z.scalars[(e * perCode)..<((e + 1) * perCode)].map(Double.init),
          prediction: prediction.scalars[(e * perCode)..<((e + 1) * perCode)].map(Double.init))
        #expect(abs(energies[e] - want) <= 1e-5 * max(1, want), "energy: \(shape)")
      }

      // Inference from the prediction never ends above where it started.
      let inferred = try layer.inferCodes(x)
      let start = try layer.energy(x, codes: prediction)
      for e in 0..<2 {
        #expect(inferred.energy[e] <= start[e] * (1 + 1e-5) + 1e-6, "FISTA: \(shape)")
      }

      // Features: the size rule's shape, finite, and without LCN the mean |prediction| per block.
      let features = try layer.features(x)
      let size = try #require(layer.outputSize(height: h, width: w), "\(shape)")
      #expect(features.shape == [2, k, size.height, size.width], "features shape: \(shape)")
      #expect(features.firstNonFinite() == nil, "features finite: \(shape)")
      if contrast == nil {
        let want = Self.naivePool(prediction, pooling[0], pooling[1], largest: false)
        #expect(maxAbsDifference(features.scalars, want) < 1e-5, "pooling: \(shape)")
      }
    }
  }

  @Test func deconvOnRandomAcceptedShapes() throws {
    var draw = Draw(seed: 2028)
    for trial in 0..<20 {
      let (c, k) = (draw.pick(1...3), draw.pick(1...4))
      let (fh, fw) = (draw.pick(1...4), draw.pick(1...4))
      let (h, w) = (draw.pick(fh...10), draw.pick(fw...12))
      let table =
        draw.coin()
        ? try ConnectivityTable.full(maps: k, channels: c)
        : try ConnectivityTable.random(
          maps: k, channels: c, fanIn: draw.pick(1...c), seed: UInt64(trial))
      let function: DeconvPooling = [.none, .max, .average][draw.pick(0...2)]
      let (ph, pw) = function == .none ? (1, 1) : (draw.pick(1...5), draw.pick(1...5))
      var inference = DeconvInference()
      if draw.coin() { inference.solver = .fista }
      let shape =
        "trial \(trial): C \(c) K \(k) map \(h)×\(w) filter \(fh)×\(fw) \(function) \(ph)×\(pw) \(inference.solver)"
      let layer = try DeconvLayer(
        channels: c, maps: k, filterHeight: fh, filterWidth: fw, connectivity: table,
        inference: inference, pooling: function, poolHeight: ph, poolWidth: pw,
        seed: UInt64(trial + 1))
      let y = randomTensor([2, c, h, w], seed: UInt64(300 + trial))
      let (hz, wz) = (h + fh - 1, w + fw - 1)

      // A z against the definition, and the solver's Aᵀ as its transpose: ⟨Az, r⟩ = ⟨z, Aᵀr⟩.
      let z = randomTensor([2, k, hz, wz], seed: UInt64(400 + trial))
      let want = naiveDeconvReconstruction(
        maps: doubles(z), zShape: z.shape, filters: doubles(layer.filters),
        fShape: layer.filters.shape)
      let got = layer.reconstruct(z)
      #expect(got.shape == [2, c, h, w], "reconstruction shape: \(shape)")
      let worst = zip(got.scalars, want).map { abs(Double($0) - $1) }.max() ?? 0
      #expect(worst < 1e-4, "reconstruction off by \(worst): \(shape)")
      let solver = DeconvTests.solver(layer, height: h, width: w)
      let r = randomTensor([1, c, h, w], seed: UInt64(500 + trial))
      var forward = [Float](repeating: 0, count: solver.inputSize)
      var back = [Float](repeating: 0, count: solver.mapSize)
      layer.filters.scalars.withUnsafeBufferPointer { f in
        z.scalars.withUnsafeBufferPointer { zp in
          solver.reconstruct(zp.baseAddress!, filters: f.baseAddress!, into: &forward)
        }
        r.scalars.withUnsafeBufferPointer { rp in
          solver.adjoint(rp.baseAddress!, filters: f.baseAddress!, into: &back)
        }
      }
      let left = zip(forward, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let right = zip(z.scalars.prefix(solver.mapSize), back).reduce(0.0) {
        $0 + Double($1.0) * Double($1.1)
      }
      #expect(abs(left - right) < 1e-4 * max(1, abs(left)), "adjoint: \(shape)")

      // Inference: finite, and each example's maps what it gets alone (no dependence on the batch).
      // FISTA ends below the zero maps' objective. The continuation (one w-step and one z-step per
      // β) does not promise that: at the default λ = 1 on unit-variance inputs it ends above in
      // about half of these draws; `DeconvTests` checks its descent at λ = 5.
      let maps = try layer.inferMaps(y)
      #expect(maps.firstNonFinite() == nil, "inference finite: \(shape)")
      let second = try layer.inferMaps(y.slice(1..<2))
      #expect(Array(maps.scalars[solver.mapSize...]) == second.scalars, "batch: \(shape)")
      if inference.solver == .fista {
        let (reached, start) = (
          layer.objective(y, maps: maps), layer.objective(y, maps: Tensor(zeros: maps.shape))
        )
        for e in 0..<2 { #expect(reached[e] <= start[e], "FISTA: \(shape)") }
      }
      let features = layer.pool(maps)
      let size = try #require(layer.outputSize(height: h, width: w), "\(shape)")
      #expect(features.shape == [2, k, size.height, size.width], "features shape: \(shape)")
      if function != .none {
        let pooled = Self.naivePool(maps, ph, pw, largest: function == .max)
        #expect(maxAbsDifference(features.scalars, pooled) < 1e-5, "pooling: \(shape)")
      }
    }
  }
}
