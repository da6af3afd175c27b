import CDBNNumerics

/// Memory owned by one layer instance: allocated once (when the capacity grows) and reused by every
/// chunk, so the per-chunk loops do not allocate.
final class FloatBuffer {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  init(count: Int) {
    self.count = count
    pointer = .allocate(capacity: max(1, count))
    pointer.initialize(repeating: 0, count: max(1, count))
  }

  func zero() { pointer.update(repeating: 0, count: count) }

  var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

  deinit { pointer.deallocate() }
}

/// A trainable array (weights or biases), shared by reference between a network and the per-worker
/// copies of its layers: workers read it during a step, only the optimizer writes it between steps.
public final class Parameter {
  /// "weights" or "bias".
  public let name: String
  public let shape: [Int]
  /// Whether L2 weight decay applies (weights yes, biases no).
  public let decays: Bool
  let storage: FloatBuffer

  init(name: String, shape: [Int], decays: Bool) {
    self.name = name
    self.shape = shape
    self.decays = decays
    storage = FloatBuffer(count: shape.reduce(1, *))
  }

  public var count: Int { storage.count }

  /// The values, row-major; setting requires `count` values.
  public var scalars: [Float] {
    get { storage.array }
    set {
      precondition(newValue.count == count, "\(name): \(newValue.count) values for \(shape)")
      newValue.withUnsafeBufferPointer {
        storage.pointer.update(from: $0.baseAddress!, count: count)
      }
    }
  }

  public var tensor: Tensor { Tensor(shape: shape, scalars: scalars) }

  var pointer: UnsafeMutablePointer<Float> { storage.pointer }
}

/// Training (dropout on, statistics for backward kept) or evaluation (dropout is the identity).
public enum NetworkMode: Sendable, Equatable {
  case training, evaluation
}

/// What a forward pass needs besides the input: the mode, and the keys of the random streams
/// (seed, step, example) from which dropout masks are drawn, so masks never depend on which worker
/// runs which chunk.
public struct ForwardContext: Sendable, Equatable {
  public var mode: NetworkMode
  public var seed: UInt64
  public var step: Int
  /// The position within the mini-batch of the first example handed to this call.
  public var firstExample: Int

  public init(mode: NetworkMode, seed: UInt64 = 0, step: Int = 0, firstExample: Int = 0) {
    self.mode = mode
    self.seed = seed
    self.step = step
    self.firstExample = firstExample
  }

  /// The random stream of example `e` of this call for the layer at `layer`.
  func stream(layer: Int, example e: Int) -> RandomStream {
    RandomStream(
      seed: seed ^ (0xD1B5_4A32_D192_ED03 &* UInt64(layer + 1)),
      stream: (UInt64(step) << 24) ^ UInt64(firstExample + e))
  }
}

/// The shapes, parameters and buffers every network layer has. The buffers are allocated when the
/// capacity grows and reused by every chunk, so the per-chunk loops do not allocate.
public final class LayerStorage {
  /// The position in the network (keys the dropout streams).
  public let index: Int
  /// [C, H, W] of one input example.
  public let inputShape: [Int]
  /// [C, H, W] of one output example.
  public let outputShape: [Int]
  public let parameters: [Parameter]
  /// dL/d(parameter), accumulated by `backward` in the order of `parameters`.
  let gradients: [FloatBuffer]

  /// How many examples the buffers hold.
  public fileprivate(set) var capacity = 0
  var output = FloatBuffer(count: 0)
  var gradInput = FloatBuffer(count: 0)
  fileprivate var heldInput = FloatBuffer(count: 0)
  /// The input of the last forward call, of `savedCount` examples (none before the first call, so a
  /// backward pass then has nothing to do).
  var savedInput: UnsafePointer<Float>
  var savedCount = 0
  var savedMode = NetworkMode.evaluation
  /// False for the first layer of a network in training: nobody needs dL/d(data).
  var needsInputGradient = true

  init(index: Int, inputShape: [Int], outputShape: [Int], parameters: [Parameter]) {
    self.index = index
    self.inputShape = inputShape
    self.outputShape = outputShape
    self.parameters = parameters
    gradients = parameters.map { FloatBuffer(count: $0.count) }
    savedInput = UnsafePointer(heldInput.pointer)
  }

  /// Storage of the same shapes sharing the same parameters, with buffers of its own.
  func replica() -> LayerStorage {
    LayerStorage(
      index: index, inputShape: inputShape, outputShape: outputShape, parameters: parameters)
  }
}

/// One layer of a `Network`: a forward map on batches [count, C, H, W] and its backward pass.
///
/// A layer kind provides `spec`, its `storage`, `replica()` and the two kernels; everything else
/// (buffers, the pointer API the trainer uses, the `Tensor` API for tests and one-off use) comes from
/// this protocol's extension. `forwardKernel` writes the output and keeps what `backwardKernel`
/// needs; `backwardKernel` takes dL/d(output), *adds* dL/d(parameter) to the storage's gradients and
/// writes dL/d(input). An instance is not thread-safe: every worker has its own copy (`replica()`),
/// all copies sharing the same `Parameter` objects.
public protocol NetworkLayer: AnyObject {
  /// The spec this layer was built from (its checkpoint kind is `spec.kind`).
  var spec: LayerSpec { get }
  var storage: LayerStorage { get }
  /// A copy with its own buffers and gradients that shares this layer's parameters.
  func replica() -> any NetworkLayer
  /// Allocates the layer's own per-example scratch for batches of up to `examples`.
  func reserveScratch(_ examples: Int)
  /// The output of `count` examples laid out [count, inputShape] into `output`.
  func forwardKernel(
    _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    context: ForwardContext)
  /// dL/d(input) into `gradInput` (nil when not needed: then only parameter gradients are formed).
  func backwardKernel(
    _ gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int,
    gradInput: UnsafeMutablePointer<Float>?)
}

extension NetworkLayer {
  public func reserveScratch(_ examples: Int) {}

  public var index: Int { storage.index }
  public var inputShape: [Int] { storage.inputShape }
  public var outputShape: [Int] { storage.outputShape }
  public var parameters: [Parameter] { storage.parameters }
  /// How many examples the buffers hold.
  public var capacity: Int { storage.capacity }
  /// The checkpoint kind ("conv", "relu", "maxpool", ...).
  public var kind: String { spec.kind }
  public var inputSize: Int { inputShape.reduce(1, *) }
  public var outputSize: Int { outputShape.reduce(1, *) }

  /// Makes room for batches of up to `examples`.
  func reserve(_ examples: Int) {
    guard examples > storage.capacity else { return }
    storage.capacity = examples
    storage.output = FloatBuffer(count: examples * outputSize)
    storage.gradInput = FloatBuffer(count: examples * inputSize)
    reserveScratch(examples)
  }

  /// Runs the layer on `count` examples laid out [count, inputShape]; returns the output buffer,
  /// valid until the next call. `input` must stay valid until `backward` has run.
  func forward(_ input: UnsafePointer<Float>, count: Int, context: ForwardContext)
    -> UnsafePointer<Float>
  {
    precondition(count <= storage.capacity, "reserve before forward")
    storage.savedInput = input
    storage.savedCount = count
    storage.savedMode = context.mode
    forwardKernel(input, count: count, into: storage.output.pointer, context: context)
    return UnsafePointer(storage.output.pointer)
  }

  /// dL/d(input) of the last forward call, given dL/d(output); adds the parameter gradients.
  func backward(_ gradOutput: UnsafePointer<Float>) -> UnsafePointer<Float> {
    backwardKernel(
      gradOutput, input: storage.savedInput, count: storage.savedCount,
      gradInput: storage.needsInputGradient ? storage.gradInput.pointer : nil)
    return UnsafePointer(storage.gradInput.pointer)
  }

  // MARK: - Tensor API

  /// The output [N, outputShape] for a batch [N, inputShape].
  public func forward(_ input: Tensor, context: ForwardContext = ForwardContext(mode: .evaluation))
    throws(ConvNetError) -> Tensor
  {
    let n = input.rank == 0 ? 0 : input.shape[0]
    guard input.rank == 4, Array(input.shape.dropFirst()) == inputShape, n > 0 else {
      throw .shapeMismatch("layer \(index) (\(kind)) takes [N] + \(inputShape), got \(input.shape)")
    }
    reserve(n)
    if storage.heldInput.count < input.count { storage.heldInput = FloatBuffer(count: input.count) }
    input.scalars.withUnsafeBufferPointer {
      storage.heldInput.pointer.update(from: $0.baseAddress!, count: input.count)
    }
    let out = forward(UnsafePointer(storage.heldInput.pointer), count: n, context: context)
    return Tensor(
      shape: [n] + outputShape,
      scalars: Array(UnsafeBufferPointer(start: out, count: n * outputSize)))
  }

  /// dL/d(input) [N, inputShape] of the last `forward(_:context:)`, given dL/d(output); adds to the
  /// parameter gradients.
  public func backward(_ gradOutput: Tensor) throws(ConvNetError) -> Tensor {
    let count = storage.savedCount
    guard gradOutput.shape == [count] + outputShape, count > 0 else {
      throw .shapeMismatch(
        "layer \(index) (\(kind)): gradient \(gradOutput.shape) does not match the last forward [\(count)] + \(outputShape)"
      )
    }
    let saved = storage.needsInputGradient
    storage.needsInputGradient = true
    defer { storage.needsInputGradient = saved }
    let g = gradOutput.scalars.withUnsafeBufferPointer { backward($0.baseAddress!) }
    return Tensor(
      shape: [count] + inputShape,
      scalars: Array(UnsafeBufferPointer(start: g, count: count * inputSize)))
  }

  /// The accumulated gradient of parameter `i`.
  public func gradient(_ i: Int) -> [Float] { storage.gradients[i].array }

  public func zeroGradients() { for g in storage.gradients { g.zero() } }
}
