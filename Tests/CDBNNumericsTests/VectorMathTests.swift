import Foundation
import Testing

@testable import CDBNNumerics

@Suite struct VectorMathTests {
  @Test func expMatchesFoundationWithinFloatPrecision() {
    var x: [Float] = stride(from: -87, through: 88, by: 0.37).map { Float($0) }
    let expected = x.map { Foundation.exp(Double($0)) }
    x.withUnsafeMutableBufferPointer { VectorMath.expInPlace($0.baseAddress!, count: $0.count) }
    for (got, want) in zip(x, expected) {
      #expect(abs(Double(got) - want) <= 4e-7 * want, "exp mismatch: \(got) vs \(want)")
    }
  }

  @Test func expIsFiniteOutsideTheRange() {
    var x: [Float] = [-1e30, -1000, 1000, 1e30, 0, 1]
    x.withUnsafeMutableBufferPointer { VectorMath.expInPlace($0.baseAddress!, count: $0.count) }
    #expect(x.allSatisfy { $0.isFinite && $0 >= 0 })
    #expect(abs(x[5] - Float(M_E)) < 1e-6)
  }

  @Test func sigmoidMatchesDefinition() {
    var x: [Float] = (0..<37).map { Float($0) * 0.7 - 12 }
    let expected = x.map { 1 / (1 + Foundation.exp(-Double($0))) }
    x.withUnsafeMutableBufferPointer { VectorMath.sigmoidInPlace($0.baseAddress!, count: $0.count) }
    for (got, want) in zip(x, expected) { #expect(abs(Double(got) - want) < 1e-6) }
  }
}

@Suite struct RandomStreamTests {
  @Test func sameSeedAndStreamGiveSameNumbers() {
    var a = RandomStream(seed: 42, stream: 7)
    var b = RandomStream(seed: 42, stream: 7)
    var c = RandomStream(seed: 42, stream: 8)
    let xa = (0..<100).map { _ in a.next() }
    let xb = (0..<100).map { _ in b.next() }
    let xc = (0..<100).map { _ in c.next() }
    #expect(xa == xb)
    #expect(xa != xc)
  }

  @Test func stateRoundTrips() {
    var a = RandomStream(seed: 3)
    _ = a.next()
    var b = RandomStream(stateWords: a.stateWords)!
    #expect(a.next() == b.next())
  }

  @Test func uniformsHaveTheRightMoments() {
    var r = RandomStream(seed: 5)
    var buffer = [Float](repeating: 0, count: 100_001)
    buffer.withUnsafeMutableBufferPointer { r.fillUniform($0) }
    let mean = buffer.reduce(0.0) { $0 + Double($1) } / Double(buffer.count)
    #expect(abs(mean - 0.5) < 0.005)
    #expect(buffer.allSatisfy { $0 >= 0 && $0 < 1 })
    let normals = (0..<50_000).map { _ in Double(r.nextNormal()) }
    let m = normals.reduce(0, +) / Double(normals.count)
    let v = normals.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(normals.count)
    #expect(abs(m) < 0.02)
    #expect(abs(v - 1) < 0.03)
  }

  @Test func permutationIsAPermutation() {
    var r = RandomStream(seed: 9)
    #expect(r.permutation(1000).sorted() == Array(0..<1000))
  }
}

@Suite struct FourierTests {
  /// An all-pass response returns the input; a response that keeps only DC returns the mean.
  @Test func filterMatchesKnownResponses() {
    let h = 6
    let w = 9
    let x = random([1, 1, h, w], seed: 21).scalars
    let same = Fourier.filter(x, height: h, width: w) { _, _ in 1 }
    for (a, b) in zip(same, x) { #expect(abs(a - b) < 1e-5) }
    let dc = Fourier.filter(x, height: h, width: w) { fy, fx in fy == 0 && fx == 0 ? 1 : 0 }
    let mean = x.reduce(0, +) / Float(x.count)
    for v in dc { #expect(abs(v - mean) < 1e-5) }
  }

  /// Against a naive DFT: multiply by a response, transform back.
  @Test func filterMatchesNaiveDFT() {
    let h = 5
    let w = 4
    let x = random([1, 1, h, w], seed: 22).scalars
    func response(_ fy: Float, _ fx: Float) -> Float { 1 / (1 + fy * fy + fx * fx) }
    let fast = Fourier.filter(x, height: h, width: w, response: response)
    for y in 0..<h {
      for xx in 0..<w {
        var sum = 0.0
        for v in 0..<h {
          for u in 0..<w {
            let fy = Float(v < (h + 1) / 2 ? v : v - h)
            let fx = Float(u <= w / 2 ? u : w - u)  // response is symmetric in fx
            var re = 0.0
            for yy in 0..<h {
              for x2 in 0..<w {
                let angle =
                  2 * Double.pi
                  * (Double(v * (y - yy)) / Double(h) + Double(u * (xx - x2)) / Double(w))
                re += Double(x[yy * w + x2]) * cos(angle)
              }
            }
            sum += re * Double(response(fy, fx))
          }
        }
        #expect(abs(Double(fast[y * w + xx]) - sum / Double(h * w)) < 1e-4)
      }
    }
  }

  @Test func scaledTanhMatchesFoundation() {
    var x: [Float] = (0..<37).map { Float($0) * 0.9 - 15 } + [-200, 200, 0]
    let expected = x.map { 1.5 * Foundation.tanh(Double($0) - 0.25) }
    x.withUnsafeMutableBufferPointer {
      VectorMath.scaledTanhInPlace($0.baseAddress!, count: $0.count, shift: -0.25, gain: 1.5)
    }
    for (got, want) in zip(x, expected) { #expect(abs(Double(got) - want) < 3e-7) }
  }
}
