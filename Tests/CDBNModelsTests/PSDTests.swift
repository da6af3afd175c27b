import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics
@testable import CDBNStorage

/// Slow, obvious Double-precision versions of the PSD energy and of ISTA, with explicit loops.
struct NaivePSD {
  let layer: PSDLayer
  let height: Int
  let width: Int
  let dictionary: [Double]

  init(layer: PSDLayer, height: Int, width: Int) {
    self.layer = layer
    self.height = height
    self.width = width
    dictionary = layer.dictionary.scalars.map(Double.init)
  }

  var k: Int { layer.outputChannels }
  var c: Int { layer.inputChannels }
  var fh: Int { layer.filterHeight }
  var fw: Int { layer.filterWidth }
  var ho: Int { height - fh + 1 }
  var wo: Int { width - fw + 1 }
  func d(_ kk: Int, _ ch: Int, _ a: Int, _ b: Int) -> Double {
    dictionary[((kk * c + ch) * fh + a) * fw + b]
  }

  /// ω by counting, for every pixel, the code positions whose patch covers it.
  func omega() -> [Double] {
    var count = [Double](repeating: 0, count: height * width)
    for i in 0..<ho {
      for j in 0..<wo {
        for a in 0..<fh { for b in 0..<fw { count[(i + a) * width + j + b] += 1 } }
      }
    }
    return count.map { $0 / Double(fh * fw) }
  }

  /// x̂[c, y, x] = Σ_k Σ_{a,b} D[k,c,a,b]·z[k, y−a, x−b]; z is [K·Ho·Wo].
  func reconstruct(_ z: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: c * height * width)
    for kk in 0..<k {
      for i in 0..<ho {
        for j in 0..<wo {
          let code = z[(kk * ho + i) * wo + j]
          if code == 0 { continue }
          for ch in 0..<c {
            for a in 0..<fh {
              for b in 0..<fw {
                out[(ch * height + i + a) * width + j + b] += d(kk, ch, a, b) * code
              }
            }
          }
        }
      }
    }
    return out
  }

  /// Dᵀr[k, i, j] = Σ_c Σ_{a,b} D[k,c,a,b]·r[c, i+a, j+b].
  func transpose(_ r: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: k * ho * wo)
    for kk in 0..<k {
      for i in 0..<ho {
        for j in 0..<wo {
          var s = 0.0
          for ch in 0..<c {
            for a in 0..<fh {
              for b in 0..<fw { s += d(kk, ch, a, b) * r[(ch * height + i + a) * width + j + b] }
            }
          }
          out[(kk * ho + i) * wo + j] = s
        }
      }
    }
    return out
  }

  func energy(x: [Double], z: [Double], prediction: [Double]) -> Double {
    let w = omega()
    let xhat = reconstruct(z)
    var fit = 0.0
    for i in 0..<x.count {
      let r = x[i] - xhat[i]
      fit += w[i % (height * width)] * r * r
    }
    let l1 = z.reduce(0) { $0 + abs($1) }
    let prior = zip(z, prediction).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    return 0.5 * fit + Double(layer.settings.sparsity) * l1
      + Double(layer.settings.predictionWeight) * prior
  }

  /// ISTA with the fixed step 1/L, L = Σ_k ‖D_k‖₁²·max ω + 2β ≥ the Lipschitz constant of ∇g.
  func ista(x: [Double], prediction: [Double], iterations: Int) -> [Double] {
    let w = omega()
    let beta = Double(layer.settings.predictionWeight)
    let lambda = Double(layer.settings.sparsity)
    var bound = 0.0
    for kk in 0..<k {
      var l1 = 0.0
      for ch in 0..<c { for a in 0..<fh { for b in 0..<fw { l1 += abs(d(kk, ch, a, b)) } } }
      bound += l1 * l1
    }
    let lipschitz = bound * (w.max() ?? 1) + 2 * beta
    var z = prediction
    for _ in 0..<iterations {
      let xhat = reconstruct(z)
      var r = [Double](repeating: 0, count: x.count)
      for i in 0..<x.count { r[i] = w[i % (height * width)] * (x[i] - xhat[i]) }
      let back = transpose(r)
      for i in 0..<z.count {
        let v = z[i] - (-back[i] + 2 * beta * (z[i] - prediction[i])) / lipschitz
        let t = lambda / lipschitz
        z[i] = v > t ? v - t : (v < -t ? v + t : 0)
      }
    }
    return z
  }
}

func psdLayer(
  encoder: EncoderFunction = .tanh, features: CodeSource = .encoder, channels: Int = 1,
  filters: Int = 3, filter: (Int, Int) = (3, 3), lambda: Float = 0.1, beta: Float = 0.5,
  iterations: Int = 200, tolerance: Float = 0, pooling: [Int] = [2, 2],
  contrast: (size: Int, sigma: Float)? = (3, 1), seed: UInt64 = 1
) throws -> PSDLayer {
  var s = PSDSettings()
  s.encoder = encoder
  s.features = features
  s.sparsity = lambda
  s.predictionWeight = beta
  s.fistaIterations = iterations
  s.fistaTolerance = tolerance
  return try PSDLayer(
    channels: channels, filters: filters, filterHeight: filter.0, filterWidth: filter.1,
    settings: s, stage: FeatureStage(rectify: true, contrast: contrast, pooling: pooling),
    seed: seed)
}

@Suite struct PSDTests {
  @Test func pixelWeightsCountTheCoveringPlacements() throws {
    for (filter, size) in [((3, 3), (7, 6)), ((2, 4), (5, 9)), ((1, 1), (3, 3)), ((4, 4), (4, 4))] {
      let layer = try psdLayer(filter: filter)
      let naive = NaivePSD(layer: layer, height: size.0, width: size.1)
      let got = layer.pixelWeights(height: size.0, width: size.1)
      #expect(
        got.map(Double.init) == naive.omega().map { Double(Float($0)) }, "\(filter) on \(size)")
    }
  }

  @Test(arguments: [(1, (3, 3), 7, 7), (2, (2, 3), 6, 8)])
  func energyMatchesNaiveLoops(_ c: Int, _ filter: (Int, Int), _ h: Int, _ w: Int) throws {
    let layer = try psdLayer(channels: c, filter: filter)
    let x = randomTensor([2, c, h, w], seed: 3)
    var z = randomTensor([2, 3, h - filter.0 + 1, w - filter.1 + 1], seed: 4)
    for i in stride(from: 0, to: z.count, by: 3) { z.scalars[i] = 0 }
    let prediction = try layer.predict(x)
    let energies = try layer.energy(x, codes: z)
    let naive = NaivePSD(layer: layer, height: h, width: w)
    let per = z.count / 2
    for e in 0..<2 {
      let want = naive.energy(
        x: x.scalars[(e * c * h * w)..<((e + 1) * c * h * w)].map(Double.init),
        z: z.scalars[(e * per)..<((e + 1) * per)].map(Double.init),
        prediction: prediction.scalars[(e * per)..<((e + 1) * per)].map(Double.init))
      #expect(abs(energies[e] - want) <= 1e-5 * want, "example \(e): \(energies[e]) vs \(want)")
    }
  }

  @Test(arguments: [EncoderFunction.tanh, .shrink])
  func fistaEnergyNeverIncreases(_ encoder: EncoderFunction) throws {
    let layer = try psdLayer(encoder: encoder, filters: 4, filter: (3, 3), lambda: 0.2, beta: 0.3)
    let x = randomTensor([3, 1, 9, 9], seed: 8)
    let prediction = try layer.predict(x)
    let inference = SparseCodeInference(layer: layer, height: 9, width: 9)
    let r = inference.run(x, prediction: prediction, recordTrace: true)
    let traces = try #require(r.trace)
    for (e, trace) in traces.enumerated() {
      #expect(trace.count == r.iterations[e] + 1)
      for i in 1..<trace.count {
        #expect(trace[i] <= trace[i - 1], "example \(e): energy rose at iteration \(i)")
      }
      #expect(trace.last! < 0.9 * trace.first!, "example \(e): \(trace.first!) → \(trace.last!)")
    }
    // The reported energy is the energy of the returned codes, recomputed independently.
    let recomputed = try layer.energy(x, codes: r.codes)
    for e in 0..<3 { #expect(abs(recomputed[e] - r.energy[e]) <= 1e-5 * recomputed[e]) }
    let dz = layer.reconstruct(r.codes)
    #expect(zip(dz.scalars, r.reconstructions.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
  }

  /// With β > 0 the energy is strongly convex, so the minimiser is unique and both reach it; with
  /// β = 0 (plain convolutional sparse coding) only the optimal energy is compared.
  @Test(arguments: [(Float(0.5), 1, (3, 3), 7, 7), (0.5, 2, (2, 3), 6, 7), (0, 1, (3, 3), 6, 6)])
  func fistaReachesTheOptimumOfSlowISTA(
    _ beta: Float, _ c: Int, _ filter: (Int, Int), _ h: Int, _ w: Int
  ) throws {
    let layer = try psdLayer(
      channels: c, filters: 3, filter: filter, lambda: 0.15, beta: beta, iterations: 400,
      tolerance: 1e-8)
    let x = randomTensor([1, c, h, w], seed: 21)
    let prediction = try layer.predict(x)
    let fista = SparseCodeInference(layer: layer, height: h, width: w).run(
      x, prediction: prediction)
    let naive = NaivePSD(layer: layer, height: h, width: w)
    let xs = x.scalars.map(Double.init)
    let ps = prediction.scalars.map(Double.init)
    let z = naive.ista(x: xs, prediction: ps, iterations: beta > 0 ? 600 : 6000)
    let optimum = naive.energy(x: xs, z: z, prediction: ps)
    let reached = naive.energy(x: xs, z: fista.codes.scalars.map(Double.init), prediction: ps)
    #expect(abs(reached - optimum) <= 1e-4 * optimum, "FISTA \(reached), ISTA \(optimum)")
    if beta > 0 {
      let gap = zip(z, fista.codes.scalars).map { abs($0 - Double($1)) }.max()!
      #expect(gap < 2e-3, "codes differ by \(gap)")
    }
  }

  @Test func dictionaryGradientMatchesFiniteDifferences() throws {
    let layer = try psdLayer(channels: 2, filters: 3, filter: (2, 3), lambda: 0.2, beta: 0.4)
    let x = randomTensor([2, 2, 5, 6], seed: 31)
    var z = randomTensor([2, 3, 4, 4], seed: 32)
    for i in stride(from: 1, to: z.count, by: 4) { z.scalars[i] = 0 }
    let residual = layer.weightedResidual(x, reconstruction: layer.reconstruct(z))
    let g = layer.dictionaryGradient(weightedResidual: residual, codes: z)
    func total(_ l: PSDLayer) throws -> Double { try l.energy(x, codes: z).reduce(0, +) }
    let h: Float = 1e-2
    for i in stride(from: 0, to: g.count, by: 5) {
      var plus = layer
      plus.dictionary.scalars[i] += h
      var minus = layer
      minus.dictionary.scalars[i] -= h
      let fd = (try total(plus) - total(minus)) / Double(2 * h)
      #expect(
        abs(fd - Double(g.scalars[i])) <= 2e-3 * max(1, abs(fd)),
        "D[\(i)]: \(g.scalars[i]) vs \(fd)")
    }
  }

  @Test(arguments: [EncoderFunction.tanh, .shrink])
  func encoderGradientMatchesFiniteDifferences(_ encoder: EncoderFunction) throws {
    var layer = try psdLayer(encoder: encoder, channels: 2, filters: 3, filter: (3, 2), beta: 0.7)
    layer.encoderGain = encoder == .tanh ? [1.3, 0.8, 1.1] : [3, 5, 2]
    layer.encoderBias = encoder == .tanh ? [0.1, -0.2, 0.05] : [0.1, 0.3, 0.2]
    for i in 0..<layer.encoderWeights.count { layer.encoderWeights.scalars[i] *= 0.6 }
    let x = randomTensor([2, 2, 5, 5], seed: 41)
    let z = randomTensor([2, 3, 3, 4], seed: 42, scale: 0.5)
    let g = try layer.encoderGradient(x, codes: z)
    func total(_ l: PSDLayer) throws -> Double { try l.energy(x, codes: z).reduce(0, +) }
    let h: Float = 2e-3
    func check(_ name: String, _ analytic: Float, _ perturb: (inout PSDLayer, Float) -> Void) throws
    {
      var plus = layer
      perturb(&plus, h)
      var minus = layer
      perturb(&minus, -h)
      let fd = (try total(plus) - total(minus)) / Double(2 * h)
      #expect(
        abs(fd - Double(analytic)) <= 2e-2 * max(0.2, abs(fd)), "\(name): \(analytic) vs \(fd)")
    }
    for i in stride(from: 0, to: g.weights.count, by: 4) {
      try check("W[\(i)]", g.weights.scalars[i]) { $0.encoderWeights.scalars[i] += $1 }
    }
    for k in 0..<3 {
      try check("gain[\(k)]", g.gain[k]) { $0.encoderGain[k] += $1 }
      try check("bias[\(k)]", g.bias[k]) { $0.encoderBias[k] += $1 }
    }
  }

  static func trainer(encoder: EncoderFunction = .tanh, seed: UInt64 = 3) throws -> PSDTrainer {
    let layer = try psdLayer(
      encoder: encoder, filters: 6, filter: (5, 5), lambda: 0.1, beta: 1, iterations: 30,
      tolerance: 1e-4, seed: seed)
    var t = PSDTraining()
    t.dictionaryLearningRate = 0.5
    t.encoderLearningRate = 0.2
    return try PSDTrainer(layer: layer, settings: t)
  }

  @Test(arguments: [EncoderFunction.tanh, .shrink])
  func trainingKeepsFiltersUnitNormAndLowersTheError(_ encoder: EncoderFunction) throws {
    let data = bars(count: 32, size: 12, seed: 5)
    let t = try Self.trainer(encoder: encoder)
    var first = 0.0
    var last = 0.0
    for epoch in 0..<4 {
      for b in 0..<4 {
        let stats = try t.train(batch: data.slice((b * 8)..<(b * 8 + 8)), epoch: epoch)
        if epoch == 0 && b == 0 { first = stats.reconstructionError }
        last = stats.reconstructionError
        #expect(stats.meanActivation.count == 6)
        let d = t.layer.dictionary
        let per = d.count / 6
        for k in 0..<6 {
          let norm = (d.scalars[(k * per)..<((k + 1) * per)].reduce(0) { $0 + Double($1 * $1) })
            .squareRoot()
          #expect(abs(norm - 1) < 1e-5, "filter \(k) has norm \(norm)")
        }
      }
    }
    #expect(t.step == 16)
    #expect(last < 0.8 * first, "reconstruction error \(first) → \(last)")
  }

  @Test func checkpointRoundTripsAndTrainingResumesExactly() throws {
    let data = bars(count: 24, size: 10, seed: 6)
    func batch(_ i: Int) -> Tensor { data.slice((i % 3 * 8)..<(i % 3 * 8 + 8)) }
    let straight = try Self.trainer(encoder: .shrink)
    for i in 0..<4 { _ = try straight.train(batch: batch(i), epoch: i / 2) }

    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cdbn-psd-\(UUID().uuidString).h5"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let first = try Self.trainer(encoder: .shrink)
    for i in 0..<2 { _ = try first.train(batch: batch(i), epoch: i / 2) }
    let file = try HDF5File(path: path, mode: .truncate)
    try first.layer.save(to: file.root.createGroup("layer"))
    try first.saveState(to: file.root.createGroup("state"))
    try file.closeChecked()

    let reopened = try HDF5File(path: path, mode: .readOnly)
    defer { reopened.close() }
    let loaded = try #require(
      try LayerKinds.standard.load(from: reopened.root.openGroup("layer")) as? PSDLayer)
    #expect(loaded == first.layer)
    let x = batch(1)
    #expect(try loaded.features(x) == first.layer.features(x))
    let resumed = try PSDTrainer(layer: loaded, settings: first.settings)
    try resumed.restoreState(from: reopened.root.openGroup("state"))
    #expect(resumed.step == 2)
    #expect(resumed.firstError == first.firstError)
    for i in 2..<4 { _ = try resumed.train(batch: batch(i), epoch: i / 2) }
    #expect(resumed.layer == straight.layer)
    #expect(resumed.layer.dictionary.scalars == straight.layer.dictionary.scalars)
  }

  @Test func sameCodesAndFeaturesWhateverTheThreadCount() throws {
    let layer = try psdLayer(features: .codes, filters: 4, filter: (3, 3), iterations: 40)
    let x = randomTensor([5, 1, 10, 9], seed: 51)
    let before = Parallelism.threads
    defer { Parallelism.threads = before }
    Parallelism.threads = 1
    let one = try layer.features(x)
    let codesOne = try layer.inferCodes(x).codes
    Parallelism.threads = 2
    #expect(try layer.features(x) == one)
    #expect(try layer.inferCodes(x).codes == codesOne)
    // An example's codes do not depend on the rest of the batch.
    #expect(try layer.inferCodes(x.slice(2..<3)).codes == codesOne.slice(2..<3))
  }

  @Test func featuresAreTheStageAppliedToTheChosenCodes() throws {
    let x = randomTensor([2, 1, 11, 10], seed: 61)
    for source in CodeSource.allCases {
      let layer = try psdLayer(features: source, pooling: [3, 2])
      let codes = source == .encoder ? try layer.predict(x) : try layer.inferCodes(x).codes
      let f = try layer.features(x)
      #expect(f == layer.stage.apply(codes))
      // 11×10 → codes 9×8 → pooled ⌈9/3⌉×⌈8/2⌉.
      #expect(f.shape == [2, 3, 3, 4])
      let size = try #require(layer.outputSize(height: 11, width: 10))
      #expect(size.height == 3 && size.width == 4)
    }
  }

  @Test func stageWithoutLCNIsTheAverageOfTheRectifiedBlocks() throws {
    let maps = randomTensor([2, 2, 5, 7], seed: 71)
    let stage = FeatureStage(rectify: true, contrast: nil, pooling: [2, 3])
    let out = stage.apply(maps)
    #expect(out.shape == [2, 2, 3, 3])
    for e in 0..<2 {
      for k in 0..<2 {
        for bi in 0..<3 {
          for bj in 0..<3 {
            var sum: Float = 0
            var count = 0
            for i in (bi * 2)..<min(bi * 2 + 2, 5) {
              for j in (bj * 3)..<min(bj * 3 + 3, 7) {
                sum += abs(maps[e, k, i, j])
                count += 1
              }
            }
            #expect(abs(out[e, k, bi, bj] - sum / Float(count)) < 1e-6)
          }
        }
      }
    }
    // With LCN: finite and the same shape; a pooling block larger than the map is one clipped block.
    let normalised = FeatureStage(rectify: true, contrast: (5, 1.5), pooling: [8, 8]).apply(maps)
    #expect(normalised.shape == [2, 2, 1, 1])
    #expect(normalised.firstNonFinite() == nil)
  }

  @Test func badSettingsAndInputsAreTypedErrors() throws {
    func invalid(_ body: () throws -> Void) {
      #expect {
        try body()
      } throws: { error in
        guard case .invalidConfiguration = error as? ModelError else { return false }
        return true
      }
    }
    invalid { _ = try psdLayer(lambda: -0.1) }
    invalid { _ = try psdLayer(beta: -1) }
    invalid { _ = try psdLayer(iterations: 0) }
    invalid { _ = try psdLayer(contrast: (4, 1)) }
    invalid { _ = try psdLayer(pooling: [0, 2]) }
    invalid { _ = try psdLayer(filters: 0) }
    var rates = PSDTraining()
    rates.encoderLearningRate = 0
    let layer = try psdLayer(channels: 2)
    invalid { _ = try PSDTrainer(layer: layer, settings: rates) }
    // A filter larger than the input, the wrong channel count, NaN.
    #expect(throws: ModelError.shapeMismatch("input 2×8 is smaller than the 3×3 filters")) {
      try layer.features(Tensor(zeros: [1, 2, 2, 8]))
    }
    #expect(throws: ModelError.self) { try layer.features(Tensor(zeros: [1, 1, 8, 8])) }
    var nan = Tensor(zeros: [1, 2, 5, 5])
    nan.scalars[3] = .nan
    #expect(throws: ModelError.self) { try layer.features(nan) }
    #expect(layer.outputSize(height: 2, width: 8) == nil)
  }
}
