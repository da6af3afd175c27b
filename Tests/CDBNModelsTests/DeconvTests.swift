import CDBNStorage
import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics

/// The deconvolutional layer's reconstruction by its definition, in Double with explicit loops:
/// ŷ[n,c,i,j] = Σ_k Σ_{a,b} f[k,c,a,b]·z[n,k,i+fh−1−a, j+fw−1−b] (valid convolution; the
/// connectivity is in the filters' zero planes).
func naiveDeconvReconstruction(maps z: [Double], zShape: [Int], filters f: [Double], fShape: [Int])
  -> [Double]
{
  let (n, k, hz, wz) = (zShape[0], zShape[1], zShape[2], zShape[3])
  let (c, fh, fw) = (fShape[1], fShape[2], fShape[3])
  let (h, w) = (hz - fh + 1, wz - fw + 1)
  var y = [Double](repeating: 0, count: n * c * h * w)
  for e in 0..<n {
    for ch in 0..<c {
      for i in 0..<h {
        for j in 0..<w {
          var s = 0.0
          for kk in 0..<k {
            for a in 0..<fh {
              for b in 0..<fw {
                s +=
                  f[((kk * c + ch) * fh + a) * fw + b]
                  * z[((e * k + kk) * hz + i + fh - 1 - a) * wz + j + fw - 1 - b]
              }
            }
          }
          y[((e * c + ch) * h + i) * w + j] = s
        }
      }
    }
  }
  return y
}

/// ½‖A(f) z − y‖² by the definition.
func naiveHalfSquaredError(
  maps z: [Double], zShape: [Int], filters f: [Double], fShape: [Int], target y: [Double]
) -> Double {
  let r = naiveDeconvReconstruction(maps: z, zShape: zShape, filters: f, fShape: fShape)
  return zip(r, y).reduce(0) { $0 + 0.5 * ($1.0 - $1.1) * ($1.0 - $1.1) }
}

func doubles(_ t: Tensor) -> [Double] { t.scalars.map(Double.init) }

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
  zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite struct DeconvTests {
  static func layer(
    channels: Int = 2, maps: Int = 3, filter: Int = 3, inference: DeconvInference = .init(),
    connectivity: ConnectivityTable? = nil, seed: UInt64 = 1
  ) throws -> DeconvLayer {
    try DeconvLayer(
      channels: channels, maps: maps, filterHeight: filter, filterWidth: filter,
      connectivity: connectivity, inference: inference, seed: seed)
  }

  static func solver(_ l: DeconvLayer, height: Int, width: Int) -> DeconvSolver {
    DeconvSolver(
      channels: l.inputChannels, height: height, width: width, maps: l.outputChannels,
      filterHeight: l.filterHeight, filterWidth: l.filterWidth, connectivity: l.connectivity)
  }

  /// A table's per-channel products (connected planes only) against the dense sgemm over the masked
  /// filters: the reconstruction, its adjoint and the filter gradient, on tables where some
  /// channels have no map and some maps several channels.
  @Test(arguments: [(4, 16, 32), (1, 3, 5), (2, 3, 2)])
  func connectedPlanesOnlyGiveTheDenseProducts(_ fanIn: Int, _ c: Int, _ k: Int) throws {
    let table = try ConnectivityTable.random(maps: k, channels: c, fanIn: fanIn, seed: 9)
    let l = try Self.layer(channels: c, maps: k, filter: 3, connectivity: table)
    let (h, w) = (6, 5)
    let sparse = Self.solver(l, height: h, width: w)
    let dense = DeconvSolver(
      channels: c, height: h, width: w, maps: k, filterHeight: 3, filterWidth: 3)
    let z = randomTensor([1, k, h + 2, w + 2], seed: 10)
    let r = randomTensor([1, c, h, w], seed: 11)
    func products(_ s: DeconvSolver) -> (a: [Float], at: [Float], g: [Float]) {
      var (a, at) = (
        [Float](repeating: 0, count: s.inputSize), [Float](repeating: 0, count: s.mapSize)
      )
      var g = [Float](repeating: 1, count: l.filters.count)
      l.filters.scalars.withUnsafeBufferPointer { f in
        z.scalars.withUnsafeBufferPointer { zp in
          s.reconstruct(zp.baseAddress!, filters: f.baseAddress!, into: &a)
          r.scalars.withUnsafeBufferPointer { rp in
            s.adjoint(rp.baseAddress!, filters: f.baseAddress!, into: &at)
            s.accumulateFilterGradient(residual: rp.baseAddress!, maps: zp.baseAddress!, into: &g)
          }
        }
      }
      return (a, at, g)
    }
    let (one, other) = (products(sparse), products(dense))
    #expect(maxAbsDifference(one.a, other.a) < 1e-5)
    #expect(maxAbsDifference(one.at, other.at) < 1e-5)
    // The dense gradient has values on unconnected planes, which training holds at zero; the
    // per-channel one leaves them as they were (1 here).
    for kk in 0..<k {
      for ch in 0..<c {
        let plane = ((kk * c + ch) * 9)..<((kk * c + ch + 1) * 9)
        let want =
          table.isConnected(map: kk, channel: ch)
          ? Array(other.g[plane]) : [Float](repeating: 1, count: 9)
        #expect(maxAbsDifference(Array(one.g[plane]), want) < 1e-4, "plane \(kk), \(ch)")
      }
    }
  }

  // MARK: - Shrinkage

  @Test func softThresholdIsItsDefinition() {
    for beta: Float in [0.5, 1, 10, 1000] {
      let s = PNormShrinkage(p: 1, beta: beta)
      #expect(s.threshold == 1 / beta)
      for i in -200...200 {
        let v = Float(i) / 37
        let expected = v.sign == .minus ? -max(-v - 1 / beta, 0) : max(v - 1 / beta, 0)
        #expect(s(v) == expected, "β \(beta), v \(v)")
      }
    }
  }

  /// w = argmin |w|^p + (β/2)(w − v)² against a dense grid on [0, |v|] refined by golden sections.
  @Test(arguments: [0.3, 0.5, 0.6667, 0.8, 0.95, 1] as [Float])
  func pNormShrinkageMinimisesTheOneDimensionalObjective(_ p: Float) {
    func objective(_ u: Double, _ v: Double, _ beta: Double) -> Double {
      pow(abs(u), Double(p)) + beta / 2 * (u - v) * (u - v)
    }
    func bruteForce(_ v: Double, _ beta: Double) -> Double {
      let a = abs(v)
      let grid = 4000
      var best = 0.0
      for i in 0...grid
      where objective(a * Double(i) / Double(grid), a, beta) < objective(best, a, beta) {
        best = a * Double(i) / Double(grid)
      }
      var (lo, hi) = (max(0, best - a / Double(grid)), min(a, best + a / Double(grid)))
      let g = (5.0.squareRoot() - 1) / 2
      for _ in 0..<100 {
        let (x1, x2) = (hi - g * (hi - lo), lo + g * (hi - lo))
        if objective(x1, a, beta) < objective(x2, a, beta) { hi = x2 } else { lo = x1 }
      }
      let refined = (lo + hi) / 2
      let u = objective(refined, a, beta) < objective(best, a, beta) ? refined : best
      return v < 0 ? -u : u
    }
    for beta: Float in [0.5, 1, 10, 1000] {
      let s = PNormShrinkage(p: p, beta: beta)
      var values: [Float] = (-60...60).map { Float($0) / 20 * max(1, 3 * s.threshold) }
      values += [s.threshold * 0.999, s.threshold * 1.001, -s.threshold * 1.001, 0]
      for v in values {
        let (vd, bd) = (Double(v), Double(beta))
        let w = Double(s(v))
        let reference = bruteForce(vd, bd)
        let (fw, fr) = (objective(w, vd, bd), objective(reference, vd, bd))
        #expect(fw <= fr + 1e-6 * max(1, fr), "p \(p) β \(beta) v \(v): w \(w) vs \(reference)")
        // The minimiser itself, except where 0 and the root tie (at the threshold).
        if abs(objective(0, vd, bd) - fr) > 1e-4 {
          #expect(abs(w - reference) <= 1e-4 * max(1, abs(vd)), "p \(p) β \(beta) v \(v)")
        }
        #expect(w == 0 || (w.sign == vd.sign && abs(w) <= abs(vd)))
      }
    }
  }

  // MARK: - The reconstruction and its adjoint

  @Test func reconstructionIsTheValidConvolutionAndTheAdjointItsTranspose() throws {
    let table = try ConnectivityTable.random(maps: 3, channels: 2, fanIn: 1, seed: 4)
    let l = try Self.layer(filter: 3, connectivity: table)
    let (h, w) = (5, 4)
    let z = randomTensor([2, 3, h + 2, w + 2], seed: 2)
    let expected = naiveDeconvReconstruction(
      maps: doubles(z), zShape: z.shape, filters: doubles(l.filters), fShape: l.filters.shape)
    let tensorPath = l.reconstruct(z)
    #expect(tensorPath.shape == [2, 2, h, w])
    #expect(zip(tensorPath.scalars, expected).allSatisfy { abs(Double($0) - $1) < 1e-5 })

    // The solver's kernels: A against the definition, Aᵀ against the padded correlation and ⟨Az, r⟩.
    let s = Self.solver(l, height: h, width: w)
    let r = randomTensor([1, 2, h, w], seed: 3)
    var out = [Float](repeating: 0, count: s.inputSize)
    var back = [Float](repeating: 0, count: s.mapSize)
    l.filters.scalars.withUnsafeBufferPointer { f in
      z.scalars.withUnsafeBufferPointer { zp in
        s.reconstruct(zp.baseAddress! + s.mapSize, filters: f.baseAddress!, into: &out)
      }
      r.scalars.withUnsafeBufferPointer { rp in
        s.adjoint(rp.baseAddress!, filters: f.baseAddress!, into: &back)
      }
    }
    #expect(maxAbsDifference(out, Array(tensorPath.scalars[s.inputSize...])) < 1e-5)
    var padded = Tensor(zeros: [1, 2, h + 4, w + 4])
    for c in 0..<2 {
      for i in 0..<h { for j in 0..<w { padded[0, c, i + 2, j + 2] = r[0, c, i, j] } }
    }
    let correlation = Convolution.correlateValid(padded, l.filters)
    #expect(maxAbsDifference(back, correlation.scalars) < 1e-5)
    let zSecond = Array(z.scalars[s.mapSize...])
    let left = zip(out, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let right = zip(zSecond, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    #expect(abs(left - right) < 1e-4 * max(1, abs(left)))
  }

  // MARK: - Gradients by finite differences

  @Test func gradientsMatchFiniteDifferences() throws {
    let l = try Self.layer(channels: 2, maps: 2, filter: 2)
    let (h, w) = (3, 4)
    let zt = randomTensor([1, 2, h + 1, w + 1], seed: 5)
    let yt = randomTensor([1, 2, h, w], seed: 6)
    let (z, f, y) = (doubles(zt), doubles(l.filters), doubles(yt))
    let s = Self.solver(l, height: h, width: w)
    func e(_ z: [Double], _ f: [Double]) -> Double {
      naiveHalfSquaredError(
        maps: z, zShape: zt.shape, filters: f, fShape: l.filters.shape, target: y)
    }
    let step = 1e-4

    // ∇_f ½‖A(f) z − y‖², the filter step's gradient.
    var gf = [Float](repeating: 0, count: l.filters.count)
    var squared = 0.0
    yt.scalars.withUnsafeBufferPointer { yp in
      zt.scalars.withUnsafeBufferPointer { zp in
        l.filters.scalars.withUnsafeBufferPointer { fp in
          squared = s.accumulateFilterGradient(
            yp.baseAddress!, maps: zp.baseAddress!, filters: fp.baseAddress!, into: &gf)
        }
      }
    }
    #expect(abs(squared / 2 - e(z, f)) < 1e-4)
    for i in 0..<f.count {
      var (plus, minus) = (f, f)
      plus[i] += step
      minus[i] -= step
      let numeric = (e(z, plus) - e(z, minus)) / (2 * step)
      #expect(abs(Double(gf[i]) - numeric) < 1e-3 * max(1, abs(numeric)), "filter element \(i)")
    }

    // ∇_z ½‖Az − y‖² = Aᵀ(Az − y), the z-step's gradient.
    var residual = [Float](repeating: 0, count: s.inputSize)
    var gz = [Float](repeating: 0, count: s.mapSize)
    l.filters.scalars.withUnsafeBufferPointer { fp in
      zt.scalars.withUnsafeBufferPointer { zp in
        s.reconstruct(zp.baseAddress!, filters: fp.baseAddress!, into: &residual)
      }
      for i in 0..<residual.count { residual[i] -= yt.scalars[i] }
      residual.withUnsafeBufferPointer { rp in
        s.adjoint(rp.baseAddress!, filters: fp.baseAddress!, into: &gz)
      }
    }
    for i in 0..<z.count {
      var (plus, minus) = (z, z)
      plus[i] += step
      minus[i] -= step
      let numeric = (e(plus, f) - e(minus, f)) / (2 * step)
      #expect(abs(Double(gz[i]) - numeric) < 1e-3 * max(1, abs(numeric)), "map element \(i)")
    }
  }

  // MARK: - The z-step against a direct solve

  @Test func conjugateGradientZStepMatchesADenseDirectSolve() throws {
    let l = try Self.layer(channels: 2, maps: 3, filter: 2)
    let (h, w) = (4, 3)
    let s = Self.solver(l, height: h, width: w)
    let y = randomTensor([1, 2, h, w], seed: 7)
    let auxiliary = randomTensor([1, 3, h + 1, w + 1], seed: 8, scale: 0.3)
    let start = randomTensor([1, 3, h + 1, w + 1], seed: 9, scale: 0.1)
    let (lambda, beta): (Float, Float) = (2, 0.7)
    let n = s.mapSize

    // Dense A (inputs × maps) from unit maps, then (λAᵀA + βI) z = λAᵀy + βw by Gaussian elimination.
    var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: s.inputSize)
    for j in 0..<n {
      var unit = [Double](repeating: 0, count: n)
      unit[j] = 1
      let column = naiveDeconvReconstruction(
        maps: unit, zShape: [1, 3, h + 1, w + 1], filters: doubles(l.filters),
        fShape: l.filters.shape)
      for i in 0..<s.inputSize { a[i][j] = column[i] }
    }
    var m = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
    for i in 0..<n {
      for j in 0..<n {
        var sum = 0.0
        for r in 0..<s.inputSize { sum += a[r][i] * a[r][j] }
        m[i][j] = Double(lambda) * sum + (i == j ? Double(beta) : 0)
      }
      var rhs = Double(beta) * Double(auxiliary.scalars[i])
      for r in 0..<s.inputSize { rhs += Double(lambda) * a[r][i] * Double(y.scalars[r]) }
      m[i][n] = rhs
    }
    for col in 0..<n {
      let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
      m.swapAt(col, pivot)
      for r in 0..<n where r != col {
        let factor = m[r][col] / m[col][col]
        for c in col...n { m[r][c] -= factor * m[col][c] }
      }
    }
    let direct = (0..<n).map { m[$0][n] / m[$0][$0] }

    var z = start.scalars
    l.filters.scalars.withUnsafeBufferPointer { fp in
      y.scalars.withUnsafeBufferPointer { yp in
        auxiliary.scalars.withUnsafeBufferPointer { wp in
          start.scalars.withUnsafeBufferPointer { zp in
            s.prepare(
              yp.baseAddress!, maps: zp.baseAddress!, auxiliary: wp.baseAddress!,
              filters: fp.baseAddress!)
          }
        }
      }
      s.zStep(&z, beta: beta, lambda: lambda, iterations: 3 * n, filters: fp.baseAddress!)
    }
    let scale = direct.map(abs).max()!
    let worst = zip(z, direct).map { abs(Double($0) - $1) }.max()!
    #expect(worst < 1e-4 * max(1, scale), "CG differs from the direct solve by \(worst)")
  }

  @Test func inferenceLowersTheObjectiveAndMoreStepsLowerItFurther() throws {
    var settings = DeconvInference()
    settings.lambda = 5
    settings.cgIterations = 3
    let l = try Self.layer(channels: 1, maps: 4, filter: 3, inference: settings)
    let y = randomTensor([3, 1, 8, 7], seed: 11)
    let z = try l.inferMaps(y)
    #expect(z.shape == [3, 4, 10, 9])
    let zero = l.objective(y, maps: Tensor(zeros: z.shape))
    let inferred = l.objective(y, maps: z)
    var longer = l
    longer.inference.cgIterations = 20
    let better = longer.objective(y, maps: try longer.inferMaps(y))
    for e in 0..<3 {
      #expect(inferred[e] < 0.7 * zero[e], "example \(e): \(zero[e]) → \(inferred[e])")
      #expect(better[e] <= inferred[e] * 1.001, "example \(e): \(inferred[e]) → \(better[e])")
    }
  }

  // MARK: - Pooling and shapes

  @Test func poolingTakesTheMaximumOrMeanMagnitudeWithRaggedEdges() throws {
    var z = Tensor(zeros: [1, 1, 3, 3])
    for i in 0..<9 { z.scalars[i] = Float(i % 2 == 0 ? -i : i) }
    let base = try Self.layer(channels: 1, maps: 1, filter: 2)
    var maxLayer = base
    maxLayer.poolingFunction = .max
    (maxLayer.poolHeight, maxLayer.poolWidth) = (2, 2)
    #expect(maxLayer.pool(z).shape == [1, 1, 2, 2])
    #expect(maxLayer.pool(z).scalars == [4, 5, 7, 8])
    var mean = maxLayer
    mean.poolingFunction = .average
    #expect(mean.pool(z).scalars == [2, 3.5, 6.5, 8])
    #expect(base.pool(z) == z)
    // 5×6 input, 2×2 filters: 6×7 maps, pooled 2×2 with a ragged right edge: 3×4.
    #expect(maxLayer.outputSize(height: 5, width: 6)! == (3, 4))
    #expect(base.outputSize(height: 5, width: 6)! == (6, 7))
    #expect(base.outputSize(height: 1, width: 6) == nil)
    #expect(try maxLayer.features(randomTensor([2, 1, 5, 6], seed: 1)).shape == [2, 1, 3, 4])
  }

  // MARK: - Training

  @Test func trainingKeepsFiltersUnitNormAndLowersTheError() throws {
    let table = try ConnectivityTable.random(maps: 4, channels: 2, fanIn: 1, seed: 3)
    var settings = DeconvInference()
    settings.lambda = 10
    settings.cgIterations = 4
    settings.continuationSteps = 4
    let l = try Self.layer(
      channels: 2, maps: 4, filter: 3, inference: settings, connectivity: table)
    let t = try DeconvTrainer(layer: l, filterIterations: 2)
    let data = bars(count: 16, size: 10, seed: 4)
    var twoChannel = Tensor(zeros: [8, 2, 10, 10])
    twoChannel.scalars = data.scalars
    var errors: [Double] = []
    for epoch in 0..<4 {
      for b in 0..<2 {
        errors.append(
          try t.train(batch: twoChannel.slice((b * 4)..<(b * 4 + 4)), epoch: epoch)
            .reconstructionError)
        for k in 0..<4 {
          for c in 0..<2 {
            let plane = (0..<9).map { Double(t.layer.filters[k, c, $0 / 3, $0 % 3]) }
            let norm = plane.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if table.isConnected(map: k, channel: c) {
              #expect(abs(norm - 1) < 1e-5, "plane (\(k), \(c)) has norm \(norm)")
            } else {
              #expect(norm == 0, "unconnected plane (\(k), \(c)) has norm \(norm)")
            }
          }
        }
      }
    }
    #expect(t.step == 8)
    let (early, late) = (errors[0] + errors[1], errors[6] + errors[7])
    #expect(late < 0.9 * early, "\(errors)")
    #expect(t.layer.filters != l.filters)
  }

  /// Images made of sparse copies of a horizontal and a vertical 5-pixel bar: training from random
  /// filters must find both bars (up to a shift inside the 5×5 window), not single-pixel atoms.
  @Test func trainingRecoversPlantedAtoms() throws {
    var planted = Tensor(zeros: [2, 1, 5, 5])
    for j in 0..<5 {
      planted[0, 0, 2, j] = 1 / Float(5).squareRoot()
      planted[1, 0, j, 2] = 1 / Float(5).squareRoot()
    }
    let truth = try DeconvLayer(
      filters: planted, connectivity: .full(maps: 2, channels: 1), inference: .init(),
      pooling: .none, poolHeight: 1, poolWidth: 1)
    var rng = RandomStream(seed: 11)
    var settings = DeconvInference()
    settings.lambda = 1
    let t = try DeconvTrainer(
      layer: try Self.layer(channels: 1, maps: 4, filter: 5, inference: settings, seed: 3),
      filterIterations: 1)
    for _ in 0..<25 {
      var z = Tensor(zeros: [6, 2, 18, 18])
      for e in 0..<6 {
        for _ in 0..<5 {
          z[e, rng.nextInt(below: 2), rng.nextInt(below: 18), rng.nextInt(below: 18)] =
            1 + rng.nextFloat()
        }
      }
      _ = try t.train(batch: truth.reconstruct(z), epoch: 0)
    }
    // Best |⟨f_k shifted, bar⟩| over the learned filters and the shifts that keep the bar inside.
    for bar in 0..<2 {
      var best: Float = 0
      for k in 0..<4 {
        for shift in -2...2 {
          var product: Float = 0
          for d in 0..<5 {
            let (i, j) = bar == 0 ? (2 + shift, d) : (d, 2 + shift)
            product += t.layer.filters[k, 0, i, j] / Float(5).squareRoot()
          }
          best = max(best, abs(product))
        }
      }
      #expect(best > 0.9, "bar \(bar): best match \(best), filters \(t.layer.filters.scalars)")
    }
  }

  @Test func sameWeightsWhateverTheThreadCount() throws {
    let data = bars(count: 6, size: 9, seed: 2)
    let before = Parallelism.threads
    defer { Parallelism.threads = before }
    var results: [DeconvLayer] = []
    for threads in [1, 2, 3] {
      Parallelism.threads = threads
      let t = try DeconvTrainer(layer: try Self.layer(channels: 1, maps: 3, filter: 3))
      for epoch in 0..<2 { _ = try t.train(batch: data, epoch: epoch) }
      results.append(t.layer)
    }
    #expect(results[0] == results[1])
    #expect(results[1] == results[2])
  }

  // MARK: - Checkpoints

  @Test func checkpointRoundTripsAndResumesExactly() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cdbn-deconv-\(UUID().uuidString).h5"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var settings = DeconvInference()
    settings.p = 0.8
    settings.lambda = 3
    settings.continuationSteps = 3
    let table = try ConnectivityTable.random(maps: 4, channels: 3, fanIn: 2, seed: 9)
    var l = try DeconvLayer(
      channels: 3, maps: 4, filterHeight: 3, filterWidth: 2, connectivity: table,
      inference: settings, pooling: .max, poolHeight: 2, poolWidth: 1, seed: 5)
    let data = randomTensor([4, 3, 7, 6], seed: 1)

    let straight = try DeconvTrainer(layer: l, filterIterations: 3)
    for epoch in 0..<4 { _ = try straight.train(batch: data, epoch: epoch) }

    let first = try DeconvTrainer(layer: l, filterIterations: 3)
    for epoch in 0..<2 { _ = try first.train(batch: data, epoch: epoch) }
    do {
      let file = try HDF5File(path: path, mode: .truncate)
      try first.layer.save(to: file.root.createGroup("layer"))
      try first.saveState(to: file.root.createGroup("state"))
      try file.closeChecked()
    }
    let file = try HDF5File(path: path, mode: .readOnly)
    defer { file.close() }
    let loaded = try LayerKinds.standard.load(from: file.root.openGroup("layer"))
    l = try #require(loaded as? DeconvLayer)
    #expect(l == first.layer)
    #expect(l.connectivity == table)
    #expect(l.inference == settings)
    let resumed = try DeconvTrainer(layer: l, filterIterations: 3)
    try resumed.restoreState(from: file.root.openGroup("state"))
    #expect(resumed.step == 2)
    #expect(resumed.firstError == first.firstError)
    for epoch in 2..<4 { _ = try resumed.train(batch: data, epoch: epoch) }
    #expect(resumed.layer == straight.layer)
    #expect(resumed.layer.filters.scalars == straight.layer.filters.scalars)
    #expect(try resumed.layer.features(data) == straight.layer.features(data))
  }

  @Test func aCheckpointWithBadSettingsIsMalformed() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cdbn-deconv-bad-\(UUID().uuidString).h5"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var badP = try Self.layer()
    badP.inference.p = 2
    var badPooling = try Self.layer()
    badPooling.poolHeight = 2
    do {
      let file = try HDF5File(path: path, mode: .truncate)
      try badP.save(to: file.root.createGroup("p"))
      try badPooling.save(to: file.root.createGroup("pooling"))
      let g = try file.root.createGroup("good")
      try Self.layer().save(to: g)
      try file.closeChecked()
    }
    let file = try HDF5File(path: path, mode: .readOnly)
    defer { file.close() }
    for (group, fragment) in [("p", "p must be in (0, 1]"), ("pooling", "none")] {
      do {
        _ = try LayerKinds.standard.load(from: file.root.openGroup(group))
        Issue.record("\(group): loaded")
      } catch let ModelError.malformedCheckpoint(m) {
        #expect(m.contains("/\(group)") && m.contains(fragment), "\(m)")
      }
    }
    #expect(try LayerKinds.standard.load(from: file.root.openGroup("good")) is DeconvLayer)
  }

  // MARK: - Bad settings

  @Test func badSettingsAreTypedErrors() throws {
    func invalid(_ body: () throws -> Void, _ fragment: String) {
      do {
        try body()
        Issue.record("expected an error mentioning \(fragment)")
      } catch let ModelError.invalidConfiguration(m) {
        #expect(m.contains(fragment), "\(m)")
      } catch {
        Issue.record("wrong error \(error)")
      }
    }
    let changes: [(inout DeconvInference) -> Void] = [
      { $0.lambda = -1 }, { $0.lambda = 0 }, { $0.p = 0 }, { $0.p = 1.5 }, { $0.p = -0.5 },
      { $0.betaStart = 0 }, { $0.betaGrowth = 0.5 }, { $0.continuationSteps = 0 },
    ]
    for change in changes {
      var s = DeconvInference()
      change(&s)
      invalid({ _ = try Self.layer(inference: s) }, "deconv")
    }
    var s = DeconvInference()
    s.p = 1.5
    invalid({ try s.validate() }, "p must be in (0, 1]")
    s = DeconvInference()
    s.lambda = -2
    invalid({ try s.validate() }, "lambda")
    s = DeconvInference()
    s.cgIterations = 0
    invalid({ try s.validate() }, "cg_iterations")
    invalid({ _ = try ConnectivityTable.random(maps: 3, channels: 2, fanIn: 3, seed: 1) }, "fan_in")
    invalid({ _ = try ConnectivityTable.random(maps: 3, channels: 2, fanIn: 0, seed: 1) }, "fan_in")
    invalid(
      {
        _ = try DeconvLayer(
          channels: 1, maps: 2, filterHeight: 3, filterWidth: 3, pooling: .none, poolHeight: 2,
          poolWidth: 2, seed: 1)
      }, "none")
    invalid({ _ = try DeconvTrainer(layer: try Self.layer(), filterIterations: 0) }, "filter_cg")

    // A filter larger than the input.
    let l = try Self.layer(channels: 1, maps: 2, filter: 5)
    do {
      _ = try l.features(Tensor(zeros: [1, 1, 4, 8]))
      Issue.record("expected a shape error")
    } catch let ModelError.shapeMismatch(m) {
      #expect(m.contains("smaller than the 5×5 filters"), "\(m)")
    }
    #expect(throws: ModelError.self) { _ = try l.features(Tensor(zeros: [1, 2, 8, 8])) }
  }
}
