import Foundation
import Testing

@testable import CDBNNumerics

@Suite struct ShrinkageTests {
  /// sign(x)·max(|x| − t, 0), written out.
  static func softByDefinition(_ x: Float, _ t: Float) -> Float {
    let magnitude = max(abs(x) - t, 0)
    return x < 0 ? -magnitude : magnitude
  }

  @Test(arguments: [0, 0.3, 1.5])
  func softThresholdMatchesItsDefinition(_ threshold: Float) {
    // 45 values: two whole SIMD vectors and a tail; values on ±threshold and at zero included.
    var x: [Float] = (0..<45).map { Float($0 - 22) * 0.1 }
    x[3] = threshold
    x[4] = -threshold
    x[5] = 0
    let expected = x.map { Self.softByDefinition($0, threshold) }
    x.withUnsafeMutableBufferPointer {
      Shrinkage.soft($0.baseAddress!, count: $0.count, threshold: threshold)
    }
    #expect(x == expected)
    #expect(
      (-3...3).allSatisfy {
        Shrinkage.soft(Float($0), threshold: threshold)
          == Self.softByDefinition(Float($0), threshold)
      })
  }

  /// sign(s)·[(1/β)·log(exp(β·b) + exp(β·|s|) − 1) − b], straight from the paper, in Double.
  static func smoothByDefinition(_ s: Double, _ beta: Double, _ b: Double) -> Double {
    let magnitude =
      Foundation.log(Foundation.exp(beta * b) + Foundation.exp(beta * abs(s)) - 1) / beta - b
    return s < 0 ? -magnitude : magnitude
  }

  @Test func smoothShrinkageMatchesItsDefinitionAndDerivatives() {
    for beta in [0.5, 3.0, 10.0] {
      for b in [0.0, 0.2, 1.0] {
        for s in stride(from: -3.0, through: 3.0, by: 0.37) {
          let r = Shrinkage.smooth(Float(s), sharpness: Float(beta), threshold: Float(b))
          let want = Self.smoothByDefinition(s, beta, b)
          #expect(
            abs(Double(r.value) - want) <= 1e-5 * max(1, abs(want)), "sh(\(s); \(beta), \(b))")
          let h = 1e-5
          func fd(_ f: (Double) -> Double, at v: Double) -> Double {
            (f(v + h) - f(v - h)) / (2 * h)
          }
          let ds = fd({ Self.smoothByDefinition($0, beta, b) }, at: s)
          let dBeta = fd({ Self.smoothByDefinition(s, $0, b) }, at: beta)
          let dB = fd({ Self.smoothByDefinition(s, beta, $0) }, at: b)
          #expect(abs(Double(r.dInput) - ds) <= 1e-4 * max(1, abs(ds)))
          #expect(abs(Double(r.dSharpness) - dBeta) <= 1e-4 * max(1, abs(dBeta)))
          #expect(abs(Double(r.dThreshold) - dB) <= 1e-4 * max(1, abs(dB)))
        }
      }
    }
    // Zero at zero, odd, close to the soft threshold when sharp, and finite where exp overflows.
    #expect(Shrinkage.smooth(0, sharpness: 4, threshold: 0.5).value == 0)
    let plus = Shrinkage.smooth(0.8, sharpness: 4, threshold: 0.5).value
    #expect(Shrinkage.smooth(-0.8, sharpness: 4, threshold: 0.5).value == -plus)
    for s: Float in [-2, -0.7, -0.1, 0.1, 0.7, 2] {
      let sharp = Shrinkage.smooth(s, sharpness: 200, threshold: 0.5).value
      #expect(abs(sharp - Shrinkage.soft(s, threshold: 0.5)) < 0.01)
    }
    let far = Shrinkage.smooth(1000, sharpness: 10, threshold: 0.5)
    #expect(abs(far.value - 999.5) < 1e-3)
    #expect(far.dInput == 1 && far.dThreshold == -1 && far.dSharpness.isFinite)
  }
}
