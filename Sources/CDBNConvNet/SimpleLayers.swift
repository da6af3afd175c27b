import CDBNNumerics

/// ReLU, tanh or the logistic sigmoid, elementwise; the backward pass uses the saved output.
public final class ActivationLayer: NetworkLayer {
  public let storage: LayerStorage
  public let function: ActivationFunction

  init(index: Int, inputShape: [Int], function: ActivationFunction) {
    self.function = function
    storage = LayerStorage(
      index: index, inputShape: inputShape, outputShape: inputShape, parameters: [])
  }

  public var spec: LayerSpec { .activation(function) }

  public func replica() -> any NetworkLayer {
    ActivationLayer(index: index, inputShape: inputShape, function: function)
  }

  public func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let n = count * inputSize
    switch function {
    case .relu:
      for i in 0..<n { output[i] = max(input[i], 0) }
    case .tanh:
      // tanh x = 1 − 2/(exp(2x) + 1), on the vectorised exp.
      for i in 0..<n { output[i] = 2 * input[i] }
      VectorMath.expInPlace(output, count: n)
      for i in 0..<n { output[i] = 1 - 2 / (output[i] + 1) }
    case .sigmoid:
      output.update(from: input, count: n)
      VectorMath.sigmoidInPlace(output, count: n)
    }
  }

  public func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    guard let gradInput else { return }
    let y = storage.output.pointer
    let n = count * inputSize
    switch function {
    case .relu:
      for i in 0..<n { gradInput[i] = y[i] > 0 ? gradOutput[i] : 0 }
    case .tanh:
      for i in 0..<n { gradInput[i] = gradOutput[i] * (1 - y[i] * y[i]) }
    case .sigmoid:
      for i in 0..<n { gradInput[i] = gradOutput[i] * y[i] * (1 - y[i]) }
    }
  }
}

/// Inverted dropout. In training, unit u of example e is kept with probability 1 − rate and then
/// scaled by 1/(1 − rate); the mask comes from the random stream keyed by (seed, step, position of
/// e in the batch, layer), so it does not depend on the worker. The identity in evaluation.
public final class DropoutLayer: NetworkLayer {
  public let storage: LayerStorage
  public let rate: Float
  private var mask = FloatBuffer(count: 0)

  init(index: Int, inputShape: [Int], rate: Float) {
    self.rate = rate
    storage = LayerStorage(
      index: index, inputShape: inputShape, outputShape: inputShape, parameters: [])
  }

  public var spec: LayerSpec { .dropout(rate: rate) }

  public func replica() -> any NetworkLayer {
    DropoutLayer(index: index, inputShape: inputShape, rate: rate)
  }

  public func reserveScratch(_ examples: Int) {
    mask = FloatBuffer(count: examples * inputSize)
  }

  public func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let size = inputSize
    guard context.mode == .training, rate > 0 else {
      output.update(from: input, count: count * size)
      return
    }
    let scale = 1 / (1 - rate)
    for e in 0..<count {
      var rng = context.stream(layer: index, example: e)
      let m = mask.pointer + e * size
      rng.fillUniform(UnsafeMutableBufferPointer(start: m, count: size))
      for u in 0..<size { m[u] = m[u] >= rate ? scale : 0 }
      for u in 0..<size { output[e * size + u] = input[e * size + u] * m[u] }
    }
  }

  public func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    guard let gradInput else { return }
    let n = count * inputSize
    if storage.savedMode == .training && rate > 0 {
      for i in 0..<n { gradInput[i] = gradOutput[i] * mask.pointer[i] }
    } else {
      gradInput.update(from: gradOutput, count: n)
    }
  }
}

/// Fully connected: y = W·x + b on the flattened input, weights [M, D] with D = C·H·W, bias [M];
/// output shape [M, 1, 1].
public final class DenseLayer: NetworkLayer {
  public let storage: LayerStorage
  public let outputs: Int

  init(index: Int, inputShape: [Int], outputs: Int, parameters: [Parameter]? = nil)
    throws(ConvNetError)
  {
    let out = try LayerSpec.dense(outputs: outputs).outputShape(for: inputShape, index: index)
    self.outputs = outputs
    let d = inputShape.reduce(1, *)
    let params =
      parameters ?? [
        Parameter(name: "weights", shape: [outputs, d], decays: true),
        Parameter(name: "bias", shape: [outputs], decays: false),
      ]
    storage = LayerStorage(
      index: index, inputShape: inputShape, outputShape: out, parameters: params)
  }

  public var spec: LayerSpec { .dense(outputs: outputs) }

  public var weights: Parameter { parameters[0] }
  public var bias: Parameter { parameters[1] }

  /// A copy sharing `other`'s parameters, with buffers of its own.
  private init(replicating other: DenseLayer) {
    outputs = other.outputs
    storage = other.storage.replica()
  }

  public func replica() -> any NetworkLayer { DenseLayer(replicating: self) }

  public func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext
  ) {
    let d = inputSize
    let m = outputs
    let b = bias.pointer
    for e in 0..<count { (output + e * m).update(from: b, count: m) }
    BLAS.sgemm(
      .none, .transposed, m: count, n: m, k: d, alpha: 1, a: input, lda: d, b: weights.pointer,
      ldb: d, beta: 1, c: output, ldc: m)
  }

  public func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?
  ) {
    let d = inputSize
    let m = outputs
    BLAS.sgemm(
      .transposed, .none, m: m, n: d, k: count, alpha: 1, a: gradOutput, lda: m, b: input, ldb: d,
      beta: 1, c: storage.gradients[0].pointer, ldc: d)
    let gb = storage.gradients[1].pointer
    for e in 0..<count {
      for j in 0..<m { gb[j] += gradOutput[e * m + j] }
    }
    guard let gradInput else { return }
    BLAS.sgemm(
      .none, .none, m: count, n: d, k: m, alpha: 1, a: gradOutput, lda: m, b: weights.pointer,
      ldb: d, beta: 0, c: gradInput, ldc: d)
  }
}
