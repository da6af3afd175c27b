import Foundation
import Testing

@testable import CDBNConvNet
@testable import CDBNNumerics

/// out[n,k,i,j] = b_k + Σ W[k,c,a,b]·x[n,c,i·s+a−p, j·s+b−p], by plain loops.
func naiveConvolution(
  _ x: Tensor, weights w: Tensor, bias: [Float], stride: Size2, padding: Size2
) -> Tensor {
  let (n, c, h, wd) = x.dims4
  let (k, _, kh, kw) = w.dims4
  let ho = (h + 2 * padding.height - kh) / stride.height + 1
  let wo = (wd + 2 * padding.width - kw) / stride.width + 1
  var out = Tensor(zeros: [n, k, ho, wo])
  for e in 0..<n {
    for f in 0..<k {
      for i in 0..<ho {
        for j in 0..<wo {
          var s = Double(bias[f])
          for ch in 0..<c {
            for a in 0..<kh {
              for b in 0..<kw {
                let y = i * stride.height + a - padding.height
                let xx = j * stride.width + b - padding.width
                if y >= 0 && y < h && xx >= 0 && xx < wd {
                  s += Double(w[f, ch, a, b]) * Double(x[e, ch, y, xx])
                }
              }
            }
          }
          out[e, f, i, j] = Float(s)
        }
      }
    }
  }
  return out
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
  precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
  return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct ConvolutionLayerTests {
  static let cases: [(input: [Int], spec: LayerSpec)] = [
    ([2, 3, 7, 6], .convolution(filters: 4, kernel: Size2(3, 2), stride: 2, padding: 1)),
    ([3, 2, 5, 5], .convolution(filters: 3, kernel: 3)),
    (
      [2, 3, 1, 9],
      .convolution(filters: 2, kernel: Size2(1, 4), stride: Size2(1, 2), padding: Size2(0, 1))
    ),
    ([2, 1, 6, 5], .convolution(filters: 2, kernel: 5, stride: 3, padding: 2)),
  ]

  @Test(arguments: 0..<cases.count)
  func forwardMatchesNaiveLoops(_ c: Int) throws {
    let (shape, spec) = Self.cases[c]
    guard case .convolution(_, _, let stride, let padding) = spec else { return }
    let layer = try makeLayer(spec, inputShape: Array(shape.dropFirst())) as! ConvolutionLayer
    let x = randomTensor(shape, seed: 3)
    let y = try layer.forward(x)
    let reference = naiveConvolution(
      x, weights: layer.weights.tensor, bias: layer.bias.scalars, stride: stride, padding: padding)
    #expect(y.shape == reference.shape)
    #expect(maxDifference(y, reference) < 1e-5)
  }

  @Test(arguments: 0..<cases.count)
  func gradientsMatchFiniteDifferences(_ c: Int) throws {
    let (shape, spec) = Self.cases[c]
    let layer = try makeLayer(spec, inputShape: Array(shape.dropFirst()))
    try checkGradients(layer, input: randomTensor(shape, seed: 4))
  }

  @Test func stride1WithoutPaddingIsTheCoreCorrelationSoCRBMFiltersCopyUnchanged() throws {
    let spec = NetworkSpec(
      inputShape: [2, 9, 8],
      layers: [.convolution(filters: 3, kernel: Size2(4, 3)), .dense(outputs: 2)])
    let net = try Network(spec: spec, seed: 1)
    let filters = randomTensor([3, 2, 4, 3], seed: 5)
    let bias: [Float] = [0.1, -0.2, 0.3]
    try net.setFilters(layer: 0, weights: filters, bias: bias)
    let x = randomTensor([3, 2, 9, 8], seed: 6)
    let ours = try net.layers[0].forward(x)
    let core = Convolution.correlateValid(x, filters, bias: bias)
    #expect(maxDifference(ours, core) < 1e-5)
    #expect(throws: ConvNetError.self) {
      try net.setFilters(layer: 0, weights: randomTensor([3, 2, 3, 3], seed: 1), bias: bias)
    }
    #expect(throws: ConvNetError.self) {
      try net.setFilters(layer: 0, weights: filters, bias: [1, 2])
    }
    #expect(throws: ConvNetError.self) {
      try net.setFilters(layer: 1, weights: filters, bias: bias)
    }
  }
}

@Suite struct PoolingTests {
  static let specs: [LayerSpec] = PoolingFunction.allCases.flatMap { f in
    [
      LayerSpec.pooling(f, size: 2),
      .pooling(f, size: 3, stride: 2),  // overlapping
      .pooling(f, size: 2, ragged: true),  // 5×7 → 3×4 with clipped last windows
      .pooling(f, size: Size2(1, 3), stride: Size2(1, 2), ragged: true),  // 1-D
    ]
  }

  @Test(arguments: 0..<specs.count)
  func gradientsMatchFiniteDifferences(_ c: Int) throws {
    let spec = Self.specs[c]
    let inputShape: [Int]
    if case .pooling(_, let size, _, _) = spec, size.height == 1 {
      inputShape = [2, 1, 8]
    } else {
      inputShape = [2, 5, 7]
    }
    let layer = try makeLayer(spec, inputShape: inputShape)
    try checkGradients(
      layer, input: distinctTensor([2] + inputShape, seed: 7), step: 1e-3, tolerance: 2e-3)
  }

  @Test func shapesAndValues() throws {
    let x = Tensor(shape: [1, 1, 3, 3], scalars: [1, -2, 3, 4, 5, -6, 7, 8, 9])
    let ragged = try makeLayer(.pooling(.max, size: 2, ragged: true), inputShape: [1, 3, 3])
    #expect(ragged.outputShape == [1, 2, 2])
    #expect(try ragged.forward(x).scalars == [5, 3, 8, 9])
    let plain = try makeLayer(.pooling(.average, size: 2), inputShape: [1, 3, 3])
    #expect(plain.outputShape == [1, 1, 1])
    #expect(try plain.forward(x).scalars == [2])
    let avg = try makeLayer(.pooling(.average, size: 2, ragged: true), inputShape: [1, 3, 3])
    #expect(try avg.forward(x).scalars == [2, -1.5, 7.5, 9])
    let l2 = try makeLayer(.pooling(.l2, size: 3), inputShape: [1, 3, 3])
    #expect(abs(try l2.forward(x).scalars[0] - Float(285).squareRoot()) < 1e-4)
  }

  @Test func l2PoolingOfZerosHasAZeroGradientNotNaN() throws {
    let layer = try makeLayer(.pooling(.l2, size: 2), inputShape: [1, 2, 2])
    let y = try layer.forward(Tensor(zeros: [1, 1, 2, 2]))
    #expect(y.scalars == [0])
    let g = try layer.backward(Tensor(repeating: 1, shape: [1, 1, 1, 1]))
    #expect(g.scalars == [0, 0, 0, 0])
  }
}

@Suite struct ElementwiseLayerTests {
  @Test(arguments: ActivationFunction.allCases)
  func activationGradients(_ f: ActivationFunction) throws {
    let layer = try makeLayer(.activation(f), inputShape: [2, 3, 4])
    try checkGradients(
      layer, input: distinctTensor([2, 2, 3, 4], seed: 8, spacing: 0.1), step: 1e-3)
  }

  @Test func activationValues() throws {
    let x = Tensor(shape: [1, 1, 1, 3], scalars: [-1, 0, 2])
    let relu = try makeLayer(.activation(.relu), inputShape: [1, 1, 3])
    #expect(try relu.forward(x).scalars == [0, 0, 2])
    let tanhLayer = try makeLayer(.activation(.tanh), inputShape: [1, 1, 3])
    let t = try tanhLayer.forward(x).scalars
    for (a, b) in zip(t, [-1, 0, 2].map { Float(tanh(Double($0))) }) {
      #expect(abs(a - b) < 1e-6)
    }
    let sig = try makeLayer(.activation(.sigmoid), inputShape: [1, 1, 3])
    #expect(abs(try sig.forward(x).scalars[1] - 0.5) < 1e-7)
  }

  @Test func denseGradients() throws {
    let layer = try makeLayer(.dense(outputs: 5), inputShape: [2, 3, 2])
    #expect(layer.outputShape == [5, 1, 1])
    try checkGradients(layer, input: randomTensor([3, 2, 3, 2], seed: 9))
  }

  @Test func dropoutIsTheIdentityInEvaluation() throws {
    let layer = try makeLayer(.dropout(rate: 0.5), inputShape: [2, 3, 3])
    let x = randomTensor([2, 2, 3, 3], seed: 10)
    #expect(try layer.forward(x) == x)
    try checkGradients(layer, input: x)
  }

  @Test func dropoutInTrainingKeepsAboutOneMinusRateScaledAndItsGradientFollowsTheMask() throws {
    let layer = try makeLayer(.dropout(rate: 0.25), inputShape: [4, 10, 10])
    let x = Tensor(repeating: 1, shape: [3, 4, 10, 10])
    let context = ForwardContext(mode: .training, seed: 5, step: 2)
    let y = try layer.forward(x, context: context)
    let kept = y.scalars.filter { $0 != 0 }
    #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
    let fraction = Double(kept.count) / Double(y.count)
    #expect(abs(fraction - 0.75) < 0.06, "kept \(fraction)")
    // Keyed by (seed, step, example): the same call gives the same mask, another step another one.
    #expect(try layer.forward(x, context: context) == y)
    var later = context
    later.step = 3
    #expect(try layer.forward(x, context: later) != y)
    // Example 1 of a call starting at example 0 gets the mask of example 0 of a call starting at 1.
    var shifted = context
    shifted.firstExample = 1
    let tail = try layer.forward(x.slice(0..<2), context: shifted)
    #expect(tail.scalars == Array(y.scalars[400...]))
    try checkGradients(layer, input: randomTensor([3, 4, 10, 10], seed: 11), context: context)
  }
}

@Suite struct LocalContrastNormalizationTests {
  static let cases: [(shape: [Int], spec: LayerSpec)] = [
    ([2, 3, 6, 7], .localContrastNormalization(size: 5, sigma: 1.5)),
    ([2, 2, 5, 5], .localContrastNormalization(size: 3, sigma: 1, divisor: .constant(0.3))),
    ([2, 4, 1, 11], .localContrastNormalization(size: 5, sigma: 2)),
    ([1, 1, 4, 4], .localContrastNormalization(size: 9, sigma: 3)),  // window larger than input
  ]

  @Test(arguments: 0..<cases.count)
  func gradientsMatchFiniteDifferences(_ c: Int) throws {
    let (shape, spec) = Self.cases[c]
    let layer = try makeLayer(spec, inputShape: Array(shape.dropFirst()))
    try checkGradients(layer, input: randomTensor(shape, seed: 12), step: 3e-3, tolerance: 2e-3)
  }

  @Test func outputIsLocallyCentredAndAFlatInputStaysFinite() throws {
    let layer = try makeLayer(
      .localContrastNormalization(size: 3, sigma: 1), inputShape: [1, 5, 5])
    let flat = try layer.forward(Tensor(repeating: 3, shape: [1, 1, 5, 5]))
    #expect(flat.scalars.allSatisfy { abs($0) < 1e-2 }, "\(flat.scalars)")
    let y = try layer.forward(randomTensor([1, 1, 5, 5], seed: 13, scale: 10))
    #expect(y.firstNonFinite() == nil)
    let mean = y.scalars.reduce(0, +) / Float(y.count)
    #expect(abs(mean) < 0.5)
  }
}

@Suite struct SoftmaxCrossEntropyTests {
  @Test func gradientMatchesFiniteDifferences() throws {
    let logits = randomTensor([4, 5], seed: 14, scale: 3)
    let labels = [0, 3, 4, 1]
    let (_, g) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels)
    var numeric: [Double] = []
    let h: Float = 1e-2
    for i in 0..<logits.count {
      var p = logits
      p.scalars[i] += h
      var m = logits
      m.scalars[i] -= h
      let lp = try SoftmaxCrossEntropy.lossAndGradient(logits: p, labels: labels).loss
      let lm = try SoftmaxCrossEntropy.lossAndGradient(logits: m, labels: labels).loss
      numeric.append((lp - lm) / Double(2 * h))
    }
    #expect(relativeError(numeric, g.scalars.map(Double.init)) < 1e-2)
  }

  @Test func stableForHugeLogits() throws {
    let logits = Tensor(shape: [2, 3], scalars: [1e4, -1e4, 0, 500, 500, -500])
    let (loss, g) = try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: [1, 0])
    #expect(abs(loss - (2e4 + log(2.0))) < 0.01)
    #expect(g.firstNonFinite() == nil)
    let p = SoftmaxCrossEntropy.probabilities(logits: logits)
    #expect(abs(p.scalars[0] - 1) < 1e-6 && abs(p.scalars[3] - 0.5) < 1e-6)
    #expect(throws: ConvNetError.self) {
      try SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: [3, 0])
    }
  }
}
