import CDBNStorage
import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics

/// FISTA for convolutional BPDN against a slow ISTA in Double on the naive reconstruction.
@Suite struct ConvolutionalBPDNTests {
  /// Aᵀr by its definition: the transpose of `naiveDeconvReconstruction` for one example.
  static func naiveAdjoint(_ r: [Double], filters f: [Double], fShape: [Int], h: Int, w: Int)
    -> [Double]
  {
    let (k, c, fh, fw) = (fShape[0], fShape[1], fShape[2], fShape[3])
    let (hz, wz) = (h + fh - 1, w + fw - 1)
    var z = [Double](repeating: 0, count: k * hz * wz)
    for kk in 0..<k {
      for ch in 0..<c {
        for i in 0..<h {
          for j in 0..<w {
            for a in 0..<fh {
              for b in 0..<fw {
                z[(kk * hz + i + fh - 1 - a) * wz + j + fw - 1 - b] +=
                  f[((kk * c + ch) * fh + a) * fw + b] * r[(ch * h + i) * w + j]
              }
            }
          }
        }
      }
    }
    return z
  }

  static func naiveObjective(
    _ y: [Double], _ z: [Double], filters: Tensor, h: Int, w: Int, lambda: Double
  ) -> Double {
    let (fh, fw) = (filters.shape[2], filters.shape[3])
    let zShape = [1, filters.shape[0], h + fh - 1, w + fw - 1]
    return naiveHalfSquaredError(
      maps: z, zShape: zShape, filters: doubles(filters), fShape: filters.shape, target: y)
      + lambda * z.reduce(0) { $0 + abs($1) }
  }

  @Test(arguments: [(2, 3, 2, 2, 6, 7), (3, 1, 1, 3, 1, 12)])
  func fistaReachesTheOptimumOfSlowISTA(
    _ c: Int, _ k: Int, _ fh: Int, _ fw: Int, _ h: Int, _ w: Int
  ) throws {
    let filters = randomTensor([k, c, fh, fw], seed: 21, scale: 0.5)
    let y = randomTensor([c, h, w], seed: 22)
    let lambda: Float = 0.3
    let csc = try ConvolutionalBPDN(filters: filters, lambda: lambda, height: h, width: w)
    var z = [Float](repeating: 0, count: csc.mapSize)
    var objectives: [Double] = []
    y.scalars.withUnsafeBufferPointer { yp in
      z.withUnsafeMutableBufferPointer { zp in
        csc.solve(yp.baseAddress!, maps: zp.baseAddress!, iterations: 400) { _ in
          objectives.append(csc.objective(yp.baseAddress!, maps: zp.baseAddress!))
          return true
        }
      }
    }
    let ys = doubles(y)
    let zShape = [1, k, h + fh - 1, w + fw - 1]
    // The objective is the naive one.
    let naiveAtEnd = Self.naiveObjective(
      ys, z.map(Double.init), filters: filters, h: h, w: w, lambda: Double(lambda))
    #expect(abs(objectives.last! - naiveAtEnd) <= 1e-5 * naiveAtEnd)
    // ISTA with the naive operators and a step from a loose bound: ‖A‖² ≤ (Σ|f|)².
    let f = doubles(filters)
    let bound = pow(f.reduce(0) { $0 + abs($1) }, 2)
    #expect(Double(csc.lipschitz) <= bound * 1.0001)
    var slow = [Double](repeating: 0, count: csc.mapSize)
    for _ in 0..<20_000 {
      let r = zip(
        naiveDeconvReconstruction(maps: slow, zShape: zShape, filters: f, fShape: filters.shape),
        ys
      ).map { $0 - $1 }
      let g = Self.naiveAdjoint(r, filters: f, fShape: filters.shape, h: h, w: w)
      slow = zip(slow, g).map { zi, gi in
        let v = zi - gi / bound
        let t = Double(lambda) / bound
        return v > t ? v - t : (v < -t ? v + t : 0)
      }
    }
    let optimum = Self.naiveObjective(
      ys, slow, filters: filters, h: h, w: w, lambda: Double(lambda))
    #expect(objectives.last! <= optimum * (1 + 1e-4), "FISTA \(objectives.last!) vs \(optimum)")
    // Below the zero maps' objective from the first step on.
    #expect(objectives[0] < 0.5 * ys.reduce(0) { $0 + $1 * $1 })
  }

  /// `solver: fista` in a deconvolutional layer: the same maps as `ConvolutionalBPDN` at 1/λ, sparse,
  /// below the continuation's objective, and kept by the checkpoint.
  @Test func deconvLayerWithTheFistaSolver() throws {
    var inference = DeconvInference()
    inference.lambda = 5
    inference.solver = .fista
    inference.fistaIterations = 200
    let layer = try DeconvLayer(
      channels: 2, maps: 3, filterHeight: 3, filterWidth: 3, inference: inference, seed: 4)
    let y = randomTensor([2, 2, 7, 6], seed: 5)
    let z = try layer.inferMaps(y)
    let csc = try ConvolutionalBPDN(filters: layer.filters, lambda: 1 / 5, height: 7, width: 6)
    var alone = [Float](repeating: 0, count: csc.mapSize)
    y.scalars.withUnsafeBufferPointer { yp in
      alone.withUnsafeMutableBufferPointer {
        csc.solve(yp.baseAddress! + csc.inputSize, maps: $0.baseAddress!, iterations: 200)
      }
    }
    #expect(Array(z.scalars[csc.mapSize...]) == alone)
    #expect(z.scalars.contains(0) && z.scalars.contains { $0 != 0 })
    var continuation = layer
    continuation.inference.solver = .continuation
    let reached = layer.objective(y, maps: z)
    let theirs = continuation.objective(y, maps: try continuation.inferMaps(y))
    for e in 0..<2 { #expect(reached[e] <= theirs[e], "example \(e)") }

    let file = try HDF5File(path: NSTemporaryDirectory() + "fista-\(UUID()).h5", mode: .truncate)
    defer { try? FileManager.default.removeItem(atPath: file.path) }
    try layer.save(to: file.root.createGroup("layer"))
    #expect(try DeconvLayer(from: file.root.openGroup("layer")) == layer)
    file.close()

    var wrong = inference
    wrong.p = 0.8
    #expect(throws: ModelError.self) { try wrong.validate() }
  }

  @Test func badSettingsAreTypedErrors() {
    let filters = randomTensor([2, 1, 3, 3], seed: 1)
    #expect(throws: ModelError.self) {
      try ConvolutionalBPDN(filters: filters, lambda: 0, height: 5, width: 5)
    }
    #expect(throws: ModelError.self) {
      try ConvolutionalBPDN(filters: filters, lambda: 0.1, height: 2, width: 5)
    }
  }
}
