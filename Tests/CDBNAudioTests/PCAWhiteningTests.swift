import CDBNDatasets
import CDBNNumerics
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct PCAWhiteningTests {
  /// Correlated Gaussian frames: x = A z + offset, z standard normal, A random.
  static func correlatedFrames(n: Int, d: Int, seed: UInt64) -> Tensor {
    var random = RandomStream(seed: seed)
    let mixing = (0..<(d * d)).map { _ in random.nextNormal() }
    var out = [Float](repeating: 0, count: n * d)
    for i in 0..<n {
      let z = (0..<d).map { _ in random.nextNormal() }
      for r in 0..<d {
        var v: Float = 5 + Float(r)
        for c in 0..<d { v += mixing[r * d + c] * z[c] * (c < d / 2 ? 3 : 0.5) }
        out[i * d + r] = v
      }
    }
    return Tensor(shape: [n, d], scalars: out)
  }

  static func covariance(_ x: Tensor) -> [[Double]] {
    let n = x.shape[0]
    let d = x.shape[1]
    let mean = (0..<d).map { j in
      (0..<n).reduce(0.0) { $0 + Double(x.scalars[$1 * d + j]) } / Double(n)
    }
    return (0..<d).map { a in
      (0..<d).map { b in
        (0..<n).reduce(0.0) {
          $0 + (Double(x.scalars[$1 * d + a]) - mean[a]) * (Double(x.scalars[$1 * d + b]) - mean[b])
        } / Double(n)
      }
    }
  }

  @Test func whitenedTrainingFramesHaveIdentityCovariance() throws {
    let frames = Self.correlatedFrames(n: 4000, d: 24, seed: 3)
    let pca = try PCAWhitening(fitting: frames, components: 16, epsilon: 1e-6)
    #expect(pca.componentCount == 16 && pca.inputDimension == 24)
    #expect(zip(pca.eigenvalues, pca.eigenvalues.dropFirst()).allSatisfy { $0 >= $1 })
    let white = try pca.transform(frames)
    #expect(white.shape == [4000, 16])
    let c = Self.covariance(white)
    var worst = 0.0
    for a in 0..<16 {
      for b in 0..<16 { worst = max(worst, abs(c[a][b] - (a == b ? 1 : 0))) }
    }
    #expect(worst < 1e-3, "max |cov − I| = \(worst)")
    // Components are orthonormal.
    for a in 0..<16 {
      for b in 0..<16 {
        var dot = 0.0
        for j in 0..<24 { dot += Double(pca.components[a * 24 + j] * pca.components[b * 24 + j]) }
        #expect(abs(dot - (a == b ? 1 : 0)) < 1e-4)
      }
    }
    // Batches accumulate to the same whitening as one pass.
    var accumulator = PCAWhitening.Accumulator()
    try accumulator.add(frames.slice(0..<1500))
    try accumulator.add(frames.slice(1500..<4000))
    let batched = try accumulator.whitening(components: 16, epsilon: 1e-6)
    for (x, y) in zip(batched.eigenvalues, pca.eigenvalues) { #expect(abs(x - y) <= 1e-4 * y) }
  }

  @Test func dewhiteningInvertsTheWhiteningInItsSpan() throws {
    let frames = Self.correlatedFrames(n: 500, d: 12, seed: 4)
    let pca = try PCAWhitening(fitting: frames, components: 8, epsilon: 0.01)
    var random = RandomStream(seed: 9)
    let white = (0..<8).map { _ in random.nextNormal() }
    let pattern = pca.dewhitened(white[...])
    let back = try pca.transform(
      Tensor(shape: [1, 12], scalars: zip(pattern, pca.mean).map { $0 + $1 }))
    #expect(zip(back.scalars, white).allSatisfy { abs($0 - $1) < 1e-3 }, "\(back.scalars)")
  }

  @Test func epsilonShrinksSmallDirections() throws {
    let frames = Self.correlatedFrames(n: 2000, d: 12, seed: 5)
    let pca = try PCAWhitening(fitting: frames, components: 12, epsilon: 1)
    let c = Self.covariance(try pca.transform(frames))
    for k in 0..<12 {
      let expected = Double(pca.eigenvalues[k] / (pca.eigenvalues[k] + 1))
      #expect(abs(c[k][k] - expected) < 1e-3)
    }
  }

  @Test func saveAndLoadRoundTripExactly() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let pca = try PCAWhitening(
      fitting: Self.correlatedFrames(n: 500, d: 10, seed: 9), components: 6)
    let path = folder.file("pca.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    try pca.save(to: try file.root.createGroup("preprocessing"))
    try file.closeChecked()
    let reopened = try HDF5File(path: path, mode: .readOnly)
    let group = try reopened.root.openGroup("preprocessing")
    #expect(try group.stringAttribute("kind") == "pca_whitening")
    let loaded = try PCAWhitening.load(from: group)
    #expect(loaded == pca)
    let x = Self.correlatedFrames(n: 20, d: 10, seed: 10)
    #expect(try loaded.transform(x) == pca.transform(x))
    reopened.close()
  }

  @Test func badInputs() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    var nan = Self.correlatedFrames(n: 10, d: 4, seed: 1)
    nan.scalars[7] = .nan
    #expect(throws: DatasetError.self) { _ = try PCAWhitening(fitting: nan, components: 2) }
    let x = Self.correlatedFrames(n: 10, d: 4, seed: 1)
    #expect(throws: DatasetError.self) { _ = try PCAWhitening(fitting: x, components: 5) }
    #expect(throws: DatasetError.self) {
      _ = try PCAWhitening(fitting: x.slice(0..<1), components: 2)
    }
    let pca = try PCAWhitening(fitting: x, components: 2)
    #expect(throws: DatasetError.self) { _ = try pca.transform(Tensor(zeros: [3, 5])) }
    let path = folder.file("other.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    let group = try file.root.createGroup("p")
    try group.setAttribute("kind", "whiten-1/f")
    expectDatasetError(.badValue, path: path, mentioning: "pca_whitening") {
      _ = try PCAWhitening.load(from: group)
    }
    try group.setAttribute("kind", "pca_whitening")
    expectDatasetError(.badValue, path: path) { _ = try PCAWhitening.load(from: group) }
    file.close()
  }
}
