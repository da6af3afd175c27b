import CDBNNumerics

/// A pair of sizes (rows, columns): kernel sizes, strides, paddings. An integer literal means a
/// square pair, so `kernel: 5` is 5×5; a 1-D (height-1) signal uses `Size2(1, 6)`.
public struct Size2: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
  public var height: Int
  public var width: Int

  public init(_ height: Int, _ width: Int) {
    self.height = height
    self.width = width
  }

  public init(integerLiteral value: Int) { self.init(value, value) }

  /// [height, width], as stored in checkpoints.
  public var array: [Int] { [height, width] }

  public var description: String { "\(height)×\(width)" }
}

/// The elementwise nonlinearities.
public enum ActivationFunction: String, Sendable, Hashable, CaseIterable {
  case relu, tanh, sigmoid
}

/// The pooling functions: max, mean, and the L2 norm sqrt(Σ x²) of each window.
public enum PoolingFunction: String, Sendable, Hashable, CaseIterable {
  case max, average, l2
}

/// What divides the locally centred signal in local contrast normalisation.
public enum LCNDivisor: Sendable, Hashable {
  /// max(mean σ, σ) with the mean of σ over the positions of each example (Jarrett et al. 2009).
  case meanSigma
  /// max(c, σ) with a fixed c (Pinto et al. 2008 use c = 1 on pixel values in [0, 1]).
  case constant(Float)
}

/// One layer of a `NetworkSpec`: plain values, no weights. The lead engineer's YAML maps onto these.
///
/// Shapes are per example, [C, H, W]; a batch is [N, C, H, W].
public enum LayerSpec: Sendable, Hashable {
  /// Cross-correlation with `filters` kernels of C×kernel (no flip, like the ConvRBM and PyTorch):
  /// out[k,i,j] = b_k + Σ_c Σ_{a,b} W[k,c,a,b]·x[c, i·s_h + a − p_h, j·s_w + b − p_w], zero outside.
  /// Output size ⌊(H + 2p − k)/s⌋ + 1 per dimension.
  case convolution(filters: Int, kernel: Size2, stride: Size2 = 1, padding: Size2 = 0)
  case activation(ActivationFunction)
  /// Windows of `size` every `stride` (default: `size`, no overlap). `ragged` keeps a last, clipped
  /// window when the input does not divide evenly (output ⌈(H − k)/s⌉ + 1 instead of ⌊(H − k)/s⌋ + 1);
  /// averages then divide by the clipped window's size.
  case pooling(PoolingFunction, size: Size2, stride: Size2? = nil, ragged: Bool = false)
  /// Subtractive then divisive normalisation over a (size × size) Gaussian window of standard
  /// deviation `sigma` pixels, across all channels (see `LocalContrastNormalization`).
  case localContrastNormalization(size: Int, sigma: Float, divisor: LCNDivisor = .meanSigma)
  /// Fully connected: the flattened C·H·W inputs to `outputs` units, shape [outputs, 1, 1].
  case dense(outputs: Int)
  /// Inverted dropout: in training each unit is zeroed with probability `rate` and the rest are
  /// scaled by 1/(1 − rate); the identity in evaluation.
  case dropout(rate: Float)

  /// The name of each kind of layer, as configs and checkpoints spell it: the one table between
  /// names and layer kinds.
  public enum Kind: String, Sendable, CaseIterable {
    case conv, relu, tanh, sigmoid, maxpool, avgpool, l2pool, lcn, dense, dropout

    /// The activation function of relu, tanh and sigmoid.
    public var activation: ActivationFunction? { ActivationFunction(rawValue: rawValue) }

    /// The pooling function of maxpool, avgpool and l2pool.
    public var pooling: PoolingFunction? {
      switch self {
      case .maxpool: .max
      case .avgpool: .average
      case .l2pool: .l2
      default: nil
      }
    }

    /// "conv, relu, ..., dropout", for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
  }

  /// The layer's kind.
  public var layerKind: Kind {
    switch self {
    case .convolution: .conv
    case .activation(let f):
      switch f {
      case .relu: .relu
      case .tanh: .tanh
      case .sigmoid: .sigmoid
      }
    case .pooling(let f, _, _, _):
      switch f {
      case .max: .maxpool
      case .average: .avgpool
      case .l2: .l2pool
      }
    case .localContrastNormalization: .lcn
    case .dense: .dense
    case .dropout: .dropout
    }
  }

  /// The checkpoint `kind` of the layer.
  public var kind: String { layerKind.rawValue }

  /// The same layer written one way: a pooling stride equal to the window becomes nil.
  public var canonical: LayerSpec {
    if case .pooling(let f, let size, let stride, let ragged) = self, stride == size {
      return .pooling(f, size: size, stride: nil, ragged: ragged)
    }
    return self
  }

  /// Whether the layer has weights and biases.
  public var hasParameters: Bool {
    switch self {
    case .convolution, .dense: true
    default: false
    }
  }

  /// The output shape [C, H, W] for an input of shape [C, H, W], or a typed error naming layer
  /// `index` when the settings are impossible or do not fit the input.
  public func outputShape(for input: [Int], index: Int = 0) throws(ConvNetError) -> [Int] {
    func fail(_ m: String) -> ConvNetError { .invalidLayer(index: index, kind: kind, m) }
    guard input.count == 3, input.allSatisfy({ $0 > 0 }) else {
      throw fail("input shape must be three positive sizes [C, H, W], got \(input)")
    }
    let (c, h, w) = (input[0], input[1], input[2])
    switch self {
    case .convolution(let filters, let kernel, let stride, let padding):
      guard filters > 0 else { throw fail("filters must be positive, got \(filters)") }
      guard kernel.height > 0, kernel.width > 0 else {
        throw fail("kernel must be positive, got \(kernel)")
      }
      guard stride.height > 0, stride.width > 0 else {
        throw fail("stride must be positive, got \(stride)")
      }
      guard padding.height >= 0, padding.width >= 0 else {
        throw fail("padding must not be negative, got \(padding)")
      }
      let ph = h + 2 * padding.height
      let pw = w + 2 * padding.width
      guard kernel.height <= ph, kernel.width <= pw else {
        throw fail("kernel \(kernel) is larger than the padded input \(ph)×\(pw) (input \(input))")
      }
      return [
        filters, (ph - kernel.height) / stride.height + 1, (pw - kernel.width) / stride.width + 1,
      ]
    case .activation:
      return input
    case .pooling(_, let size, let strideOrNil, let ragged):
      let stride = strideOrNil ?? size
      guard size.height > 0, size.width > 0 else {
        throw fail("size must be positive, got \(size)")
      }
      guard stride.height > 0, stride.width > 0 else {
        throw fail("stride must be positive, got \(stride)")
      }
      guard size.height <= h, size.width <= w else {
        throw fail("window \(size) is larger than the input \(h)×\(w)")
      }
      return [
        c, PoolingWindows.outputs(h, size.height, stride.height, ragged),
        PoolingWindows.outputs(w, size.width, stride.width, ragged),
      ]
    case .localContrastNormalization(let size, let sigma, let divisor):
      guard size > 0, size % 2 == 1 else {
        throw fail("size must be odd and positive, got \(size)")
      }
      guard sigma > 0, sigma.isFinite else { throw fail("sigma must be positive, got \(sigma)") }
      if case .constant(let k) = divisor, !(k >= 0 && k.isFinite) {
        throw fail("the constant divisor must be finite and not negative, got \(k)")
      }
      return input
    case .dense(let outputs):
      guard outputs > 0 else { throw fail("outputs must be positive, got \(outputs)") }
      return [outputs, 1, 1]
    case .dropout(let rate):
      guard rate >= 0, rate < 1 else { throw fail("rate must be in [0, 1), got \(rate)") }
      return input
    }
  }
}

/// A sequential network: the shape of one input example and the layers in order. The flattened
/// output of the last layer gives the class scores (logits) fed to softmax cross-entropy.
public struct NetworkSpec: Sendable, Hashable {
  /// [C, H, W] of one example.
  public var inputShape: [Int]
  public var layers: [LayerSpec]

  public init(inputShape: [Int], layers: [LayerSpec]) {
    self.inputShape = inputShape
    self.layers = layers
  }

  /// The same network with every layer in its `canonical` form.
  public var canonical: NetworkSpec {
    NetworkSpec(inputShape: inputShape, layers: layers.map(\.canonical))
  }

  /// The shape entering each layer and, last, the output shape: `layers.count + 1` shapes.
  /// Throws a typed error naming the first layer that cannot work.
  public func shapes() throws(ConvNetError) -> [[Int]] {
    guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
      throw .invalidSpec("input shape must be three positive sizes [C, H, W], got \(inputShape)")
    }
    guard !layers.isEmpty else { throw .invalidSpec("no layers") }
    var result = [inputShape]
    var last = inputShape
    for (i, layer) in layers.enumerated() {
      last = try layer.outputShape(for: last, index: i)
      result.append(last)
    }
    let classes = last.reduce(1, *)
    guard classes >= 2 else {
      throw .invalidSpec("the last layer gives \(classes) output; a classifier needs at least 2")
    }
    guard layers.contains(where: \.hasParameters) else {
      throw .invalidSpec("no layer with weights (conv or dense)")
    }
    return result
  }

  /// The number of classes: the flattened size of the last layer's output.
  public func classes() throws(ConvNetError) -> Int {
    // shapes() starts with the input shape, so it is never empty.
    try shapes().last?.reduce(1, *) ?? 0
  }
}
