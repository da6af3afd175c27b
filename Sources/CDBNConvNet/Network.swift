import CDBNNumerics

/// A sequential convolutional network built from a `NetworkSpec`, ending in softmax cross-entropy
/// over the flattened output of its last layer.
///
/// The parameters live in `Parameter` objects shared by every copy of the layers; work on batches is
/// cut into chunks of examples, and each worker thread runs its chunks through its own copy
/// (`Replica`) with its own activations and gradient buffers.
public final class Network {
  /// The spec, in canonical form (see `LayerSpec.canonical`).
  public let spec: NetworkSpec
  /// The shape entering each layer, then the output shape.
  public let shapes: [[Int]]
  public let classes: Int
  /// The network's own layer objects (for inspection and the `Tensor` API of single layers).
  public let layers: [any NetworkLayer]
  private var replicaPool: [Replica] = []

  /// A new network with He-initialised weights for layers followed by a ReLU and Glorot (Xavier)
  /// weights for the others, drawn from streams keyed by (seed, layer); biases start at 0.
  public convenience init(spec: NetworkSpec, seed: UInt64) throws(ConvNetError) {
    try self.init(spec: spec, parameters: nil)
    for (i, layer) in layers.enumerated() where !layer.parameters.isEmpty {
      initialise(layer: i, seed: seed)
    }
  }

  /// A network with the given parameters per layer (nil: zeros), as when loading.
  init(spec: NetworkSpec, parameters: [[Parameter]]?) throws(ConvNetError) {
    self.spec = spec.canonical
    shapes = try spec.shapes()
    classes = shapes.last?.reduce(1, *) ?? 0  // shapes starts with the input shape
    var built: [any NetworkLayer] = []
    for (i, layerSpec) in spec.layers.enumerated() {
      built.append(
        try Self.makeLayer(
          layerSpec, index: i, inputShape: shapes[i], parameters: parameters?[i]))
    }
    layers = built
    self.parameters = built.flatMap(\.parameters)
  }

  static func makeLayer(
    _ spec: LayerSpec, index: Int, inputShape: [Int], parameters: [Parameter]?
  ) throws(ConvNetError) -> any NetworkLayer {
    switch spec {
    case .convolution:
      return try ConvolutionLayer(
        index: index, inputShape: inputShape, spec: spec, parameters: parameters)
    case .activation(let f):
      return ActivationLayer(index: index, inputShape: inputShape, function: f)
    case .pooling(let f, let size, let stride, let ragged):
      return try PoolingLayer(
        index: index, inputShape: inputShape, function: f, size: size, stride: stride,
        ragged: ragged)
    case .localContrastNormalization(let size, let sigma, let divisor):
      return try LocalContrastNormalization(
        index: index, inputShape: inputShape, size: size, sigma: sigma, divisor: divisor)
    case .dense(let outputs):
      return try DenseLayer(
        index: index, inputShape: inputShape, outputs: outputs, parameters: parameters)
    case .dropout(let rate):
      return DropoutLayer(index: index, inputShape: inputShape, rate: rate)
    }
  }

  /// All parameters, layer by layer (weights then bias).
  public let parameters: [Parameter]

  /// The number of trainable values.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

  /// Whether the first activation after layer `i` (before the next layer with weights) is a ReLU.
  func feedsReLU(_ i: Int) -> Bool {
    for next in spec.layers.dropFirst(i + 1) {
      if next.hasParameters { return false }
      if case .activation(let f) = next { return f == .relu }
    }
    return false
  }

  private func initialise(layer i: Int, seed: UInt64) {
    let layer = layers[i]
    let weights = layer.parameters[0]
    let fanIn = weights.count / weights.shape[0]
    let fanOut: Int
    if let conv = layer as? ConvolutionLayer {
      fanOut = conv.geometry.filters * conv.geometry.kernel.height * conv.geometry.kernel.width
    } else {
      fanOut = weights.shape[0]
    }
    var rng = RandomStream(seed: seed, stream: 0xC0_4E7 &+ UInt64(i))
    let w = weights.pointer
    if feedsReLU(i) {
      // He et al. 2015: N(0, 2/fan_in).
      let std = (2 / Float(fanIn)).squareRoot()
      for k in 0..<weights.count { w[k] = std * rng.nextNormal() }
    } else {
      // Glorot & Bengio 2010: U(−a, a), a = sqrt(6/(fan_in + fan_out)).
      let a = (6 / Float(fanIn + fanOut)).squareRoot()
      for k in 0..<weights.count { w[k] = a * (2 * rng.nextFloat() - 1) }
    }
    for p in layer.parameters.dropFirst() { p.storage.zero() }
  }

  /// Copies filters into convolution layer `layer`, for instance a CDBN layer's weights [K, C, h, w]
  /// and hidden biases [K] (same cross-correlation convention, no flip).
  public func setFilters(layer index: Int, weights: Tensor, bias: [Float]) throws(ConvNetError) {
    guard layers.indices.contains(index) else {
      throw .shapeMismatch("no layer \(index); the network has \(layers.count)")
    }
    guard let conv = layers[index] as? ConvolutionLayer else {
      throw .shapeMismatch("layer \(index) is \(layers[index].kind), not conv")
    }
    try conv.setFilters(weights: weights, bias: bias)
  }

  // MARK: - Replicas

  /// At least `count` replicas, each with room for `capacity` examples.
  func replicas(_ count: Int, capacity: Int) -> [Replica] {
    while replicaPool.count < count { replicaPool.append(Replica(self)) }
    for r in replicaPool.prefix(count) { r.reserve(capacity) }
    return Array(replicaPool.prefix(count))
  }

  // MARK: - Inference

  /// Checks that `data` is [N] + inputShape with finite values.
  func validate(_ data: Tensor) throws(ConvNetError) {
    guard data.rank == 4, Array(data.shape.dropFirst()) == spec.inputShape, data.shape[0] > 0 else {
      throw .shapeMismatch(
        "the network takes [N] + \(spec.inputShape) with N > 0, got \(data.shape)")
    }
    if let bad = data.firstNonFinite() {
      throw .nonFinite("data value \(data.scalars[bad]) at flat index \(bad)")
    }
  }

  /// Class probabilities [N, classes] for `data` [N] + inputShape, in evaluation mode, in chunks of
  /// `chunkSize` examples spread over the worker threads.
  public func predict(_ data: Tensor, chunkSize: Int = 32) throws(ConvNetError) -> Tensor {
    try run(data, labels: nil, chunkSize: chunkSize).probabilities
  }

  /// Mean cross-entropy and accuracy on `data` with `labels`, in evaluation mode.
  public func evaluate(_ data: Tensor, labels: [Int], chunkSize: Int = 32) throws(ConvNetError)
    -> (loss: Double, accuracy: Double)
  {
    let r = try run(data, labels: labels, chunkSize: chunkSize)
    let n = Double(data.shape[0])
    return (r.loss / n, Double(r.correct) / n)
  }

  func validate(labels: [Int], count: Int) throws(ConvNetError) {
    guard labels.count == count else {
      throw .shapeMismatch("\(labels.count) labels for \(count) examples")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
      throw .invalidLabel("label \(labels[bad]) of example \(bad) is outside 0..<\(classes)")
    }
  }

  private func run(_ data: Tensor, labels: [Int]?, chunkSize: Int) throws(ConvNetError) -> (
    probabilities: Tensor, loss: Double, correct: Int
  ) {
    try validate(data)
    guard chunkSize > 0 else { throw .invalidSettings("chunk size must be positive") }
    let n = data.shape[0]
    if let labels { try validate(labels: labels, count: n) }
    let chunks = stride(from: 0, to: n, by: chunkSize).map { $0..<min(n, $0 + chunkSize) }
    let workers = replicas(min(Parallelism.threads, chunks.count), capacity: chunkSize)
    var probabilities = Tensor(zeros: [n, classes])
    var losses = [Double](repeating: 0, count: chunks.count)
    var correct = [Int](repeating: 0, count: chunks.count)
    let size = data.count / max(n, 1)
    let classes = self.classes
    let labelArray = labels ?? []
    data.scalars.withUnsafeBufferPointer { x in
      labelArray.withUnsafeBufferPointer { l in
        probabilities.scalars.withUnsafeMutableBufferPointer { p in
          losses.withUnsafeMutableBufferPointer { lossOut in
            correct.withUnsafeMutableBufferPointer { correctOut in
              nonisolated(unsafe) let (x, l, p) = (x.baseAddress!, l.baseAddress, p.baseAddress!)
              nonisolated(unsafe) let (lossOut, correctOut) = (lossOut, correctOut)
              let hasLabels = labels != nil
              Parallelism.forEach(chunks.count, threads: workers.count) { task, worker in
                let r = chunks[task]
                let logits = workers[worker].forward(
                  x + r.lowerBound * size, count: r.count,
                  context: ForwardContext(mode: .evaluation, firstExample: r.lowerBound))
                let result = SoftmaxCrossEntropy.apply(
                  logits: logits, count: r.count, classes: classes,
                  labels: hasLabels ? l! + r.lowerBound : nil,
                  probabilities: p + r.lowerBound * classes, gradient: nil)
                lossOut[task] = result.loss
                correctOut[task] = result.correct
              }
            }
          }
        }
      }
    }
    return (probabilities, losses.reduce(0, +), correct.reduce(0, +))
  }
}

/// One worker's copy of the layers, with its own activations, gradients and chunk buffers.
final class Replica {
  let layers: [any NetworkLayer]
  let classes: Int
  let inputSize: Int
  private(set) var capacity = 0
  /// The (augmented) input of the chunk.
  private(set) var input = FloatBuffer(count: 0)
  private(set) var probabilities = FloatBuffer(count: 0)
  private(set) var lossGradient = FloatBuffer(count: 0)

  init(_ network: Network) {
    layers = network.layers.map { $0.replica() }
    layers.first?.storage.needsInputGradient = false
    classes = network.classes
    inputSize = network.spec.inputShape.reduce(1, *)
  }

  func reserve(_ examples: Int) {
    guard examples > capacity else { return }
    capacity = examples
    input = FloatBuffer(count: examples * inputSize)
    probabilities = FloatBuffer(count: examples * classes)
    lossGradient = FloatBuffer(count: examples * classes)
    for l in layers { l.reserve(examples) }
  }

  /// The logits [count, classes] of `count` examples at `x`.
  func forward(_ x: UnsafePointer<Float>, count: Int, context: ForwardContext)
    -> UnsafePointer<Float>
  {
    var a = x
    for l in layers { a = l.forward(a, count: count, context: context) }
    return a
  }

  /// Forward, loss and backward for the chunk in `input`; the parameter gradients of the summed loss
  /// are left in the layers' gradient buffers (zeroed first).
  func forwardBackward(count: Int, labels: UnsafePointer<Int>, context: ForwardContext) -> (
    loss: Double, correct: Int
  ) {
    let logits = forward(UnsafePointer(input.pointer), count: count, context: context)
    let result = SoftmaxCrossEntropy.apply(
      logits: logits, count: count, classes: classes, labels: labels,
      probabilities: probabilities.pointer, gradient: lossGradient.pointer)
    for l in layers { l.zeroGradients() }
    var g = UnsafePointer(lossGradient.pointer)
    for l in layers.reversed() { g = l.backward(g) }
    return result
  }

  /// Copies every parameter gradient, in `Network.parameters` order, to `destination`.
  func copyGradients(to destination: UnsafeMutablePointer<Float>) {
    var offset = 0
    for l in layers {
      for g in l.storage.gradients {
        (destination + offset).update(from: g.pointer, count: g.count)
        offset += g.count
      }
    }
  }
}
