import Foundation
import Testing

@testable import CDBNConvNet
@testable import CDBNNumerics

/// Uniform values in [−scale, scale).
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
  var rng = RandomStream(seed: seed)
  var t = Tensor(zeros: shape)
  for i in 0..<t.count { t.scalars[i] = scale * (2 * rng.nextFloat() - 1) }
  return t
}

/// Distinct values at least `spacing` apart and at least spacing/2 away from 0, in random order:
/// no ties for max pooling, no ReLU kinks within a small finite-difference step.
func distinctTensor(_ shape: [Int], seed: UInt64, spacing: Float = 0.01) -> Tensor {
  let n = shape.reduce(1, *)
  var rng = RandomStream(seed: seed)
  let order = rng.permutation(n)
  return Tensor(
    shape: shape, scalars: order.map { (Float($0) - Float(n) / 2 + 0.5) * spacing })
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, floor).
func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-6) -> Double {
  var d = 0.0
  var na = 0.0
  var nb = 0.0
  for i in a.indices {
    d += (a[i] - b[i]) * (a[i] - b[i])
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  return d.squareRoot() / max(na.squareRoot(), nb.squareRoot(), floor)
}

/// Compares a layer's backward pass with central differences of L = Σ r ⊙ forward(x), with respect
/// to the input and to every parameter. At most `samples` coordinates of each are probed.
/// Returns the relative errors (input first, then each parameter).
@discardableResult
func checkGradients(
  _ layer: any NetworkLayer, input: Tensor,
  context: ForwardContext = ForwardContext(mode: .evaluation),
  step h: Float = 1e-2, tolerance: Double = 1e-3, samples: Int = 400, seed: UInt64 = 99,
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> [Double] {
  let out = try layer.forward(input, context: context)
  let r = randomTensor(out.shape, seed: seed)
  func loss(_ x: Tensor) throws -> Double {
    let y = try layer.forward(x, context: context)
    var s = 0.0
    for i in 0..<y.count { s += Double(r.scalars[i]) * Double(y.scalars[i]) }
    return s
  }
  _ = try layer.forward(input, context: context)
  layer.zeroGradients()
  let gx = try layer.backward(r)
  let analyticParameters = layer.parameters.indices.map { layer.gradient($0) }
  func probes(_ n: Int) -> [Int] {
    if n <= samples { return Array(0..<n) }
    var rng = RandomStream(seed: seed &+ UInt64(n))
    return Array(rng.permutation(n).prefix(samples))
  }
  var errors: [Double] = []
  // Input.
  var numeric: [Double] = []
  var analytic: [Double] = []
  for i in probes(input.count) {
    var plus = input
    plus.scalars[i] += h
    var minus = input
    minus.scalars[i] -= h
    numeric.append((try loss(plus) - loss(minus)) / Double(2 * h))
    analytic.append(Double(gx.scalars[i]))
  }
  errors.append(relativeError(numeric, analytic))
  // Parameters.
  for (k, p) in layer.parameters.enumerated() {
    numeric = []
    analytic = []
    for i in probes(p.count) {
      let saved = p.pointer[i]
      p.pointer[i] = saved + h
      let lp = try loss(input)
      p.pointer[i] = saved - h
      let lm = try loss(input)
      p.pointer[i] = saved
      numeric.append((lp - lm) / Double(2 * h))
      analytic.append(Double(analyticParameters[k][i]))
    }
    errors.append(relativeError(numeric, analytic))
  }
  for (i, e) in errors.enumerated() {
    #expect(
      e < tolerance,
      "\(layer.kind) gradient \(i == 0 ? "input" : layer.parameters[i - 1].name): relative error \(e)",
      sourceLocation: sourceLocation)
  }
  return errors
}

/// Builds the single layer of `spec` on `inputShape`, with random parameters.
func makeLayer(_ spec: LayerSpec, inputShape: [Int], seed: UInt64 = 1) throws -> any NetworkLayer {
  let layer = try Network.makeLayer(spec, index: 0, inputShape: inputShape, parameters: nil)
  for (k, p) in layer.parameters.enumerated() {
    p.scalars = randomTensor(p.shape, seed: seed &+ UInt64(k), scale: 0.5).scalars
  }
  return layer
}

/// Bars: class 0 has a horizontal bar, class 1 a vertical one, at random positions, plus noise.
func barImages(count: Int, size: Int, seed: UInt64) -> (Tensor, [Int]) {
  var rng = RandomStream(seed: seed)
  var t = Tensor(zeros: [count, 1, size, size])
  var labels: [Int] = []
  for e in 0..<count {
    let label = e % 2
    labels.append(label)
    let a = rng.nextInt(below: size)
    let b = rng.nextInt(below: size - 3)
    for d in 0..<4 {
      if label == 0 { t[e, 0, a, b + d] = 1 } else { t[e, 0, b + d, a] = 1 }
    }
    for y in 0..<size { for x in 0..<size { t[e, 0, y, x] += 0.1 * rng.nextFloat() } }
  }
  return (t, labels)
}
