import CDBNNumerics
import CDBNStorage

/// A stack of feature layers trained greedily: layer l's pooled output is layer l+1's visible input.
public struct ConvolutionalDBN: Sendable {
  /// What turns raw data into the first layer's input (image preprocessing or an audio front end).
  public var frontEnd: any FrontEnd
  public var layers: [any FeatureLayer]

  public init(frontEnd: any FrontEnd, layers: [any FeatureLayer] = []) {
    self.frontEnd = frontEnd
    self.layers = layers
  }

  public init(preprocessing: Preprocessing = .none, layers: [any FeatureLayer] = []) {
    self.init(frontEnd: preprocessing, layers: layers)
  }

  /// The image preprocessing, or `.none` when the front end is not one (audio).
  public var preprocessing: Preprocessing { frontEnd as? Preprocessing ?? .none }

  /// The front end as one for pictures; throws for a front end that takes other data (audio).
  public func imageFrontEnd() throws -> any ImageFrontEnd {
    guard let image = frontEnd as? any ImageFrontEnd else {
      throw ModelError.invalidConfiguration(
        "the model's front end (\(frontEnd.kind)) does not take pictures")
    }
    return image
  }

  /// Feed-forward features of layer `depth` (1 = first layer) for raw examples [N, C, H, W]:
  /// preprocessing, then each layer's pooled probabilities in turn.
  public func features(_ raw: Tensor, depth: Int) throws -> Tensor {
    guard depth >= 1, depth <= layers.count else {
      throw ModelError.invalidConfiguration(
        "layer \(depth) does not exist; the model has \(layers.count) layer(s)")
    }
    return try propagate(imageFrontEnd().apply(raw), through: depth)
  }

  /// Features of several layers (1-based `depths`, in any order; 0 is the preprocessed input) from
  /// one feed-forward pass.
  public func features(_ raw: Tensor, depths: [Int]) throws -> [Tensor] {
    try features(ofInput: imageFrontEnd().apply(raw), depths: depths)
  }

  /// `features(_:depths:)` of input the front end has already made (audio: whitened spectrograms).
  public func features(ofInput input: Tensor, depths: [Int]) throws -> [Tensor] {
    guard let deepest = depths.max(), let shallowest = depths.min(), shallowest >= 0,
      deepest <= layers.count
    else {
      throw ModelError.invalidConfiguration(
        "layers \(depths) do not all exist; the model has \(layers.count) layer(s)")
    }
    var x = input
    var outputs = [x]
    for layer in layers.prefix(deepest) {
      x = try layer.features(x)
      outputs.append(x)
    }
    return depths.map { outputs[$0] }
  }

  /// Runs already-preprocessed input through the first `depth` layers.
  public func propagate(_ input: Tensor, through depth: Int) throws -> Tensor {
    var x = input
    for layer in layers.prefix(depth) { x = try layer.features(x) }
    return x
  }

  /// Output shape [K, H, W] of layer `depth` for an example of [C, H, W], or nil when too small.
  public func outputShape(depth: Int, input: [Int]) -> [Int]? {
    guard input.count == 3 else { return nil }
    var (c, h, w) = (input[0], input[1], input[2])
    for layer in layers.prefix(depth) {
      guard layer.inputChannels == c, let size = layer.outputSize(height: h, width: w) else {
        return nil
      }
      (c, h, w) = (layer.outputChannels, size.height, size.width)
    }
    return [c, h, w]
  }
}
