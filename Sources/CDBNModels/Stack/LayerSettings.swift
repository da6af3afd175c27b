/// What every layer entry of a config has, whatever its kind: how many filters, their size, and the
/// pooling block between the detection maps and the layer's output.
public struct LayerShape: Sendable, Equatable {
  public var filters: Int
  /// [fh, fw]
  public var filterSize: [Int]
  /// [ph, pw]
  public var pooling: [Int]

  public init(filters: Int, filterSize: [Int], pooling: [Int] = [2, 2]) {
    self.filters = filters
    self.filterSize = filterSize
    self.pooling = pooling
  }

  /// The keys the shape is read from; every kind accepts them.
  public static let keys: Set<String> = ["kind", "filters", "filter", "pooling"]
}

/// One layer entry of a config as a kind reads it: typed values by key, and errors that name the
/// file, the line and the key. The models module sees configs only through this, so it does not
/// depend on YAML.
public protocol LayerSettingsReader {
  /// Throws for any key not in `known`.
  func allowOnly(_ known: Set<String>) throws
  func has(_ key: String) -> Bool
  func string(_ key: String) throws -> String?
  func int(_ key: String, in range: ClosedRange<Int>?) throws -> Int?
  func float(_ key: String) throws -> Float?
  func bool(_ key: String) throws -> Bool?
  /// A pair such as [10, 10], or one integer n meaning [n, n].
  func pair(_ key: String) throws -> [Int]?
  /// An error about `key`'s value.
  func fail(_ key: String, _ message: String) -> any Error
  /// An error about the entry as a whole, for example a failed validation.
  func fail(entry error: any Error) -> any Error
}

extension LayerSettingsReader {
  public func int(_ key: String) throws -> Int? { try int(key, in: nil) }

  /// Runs a kind's validation, reporting what it throws as an error of this entry.
  public func validating(_ body: () throws -> Void) throws {
    do { try body() } catch { throw fail(entry: error) }
  }
}

/// A layer kind: the settings one config entry gives it, and everything the pipeline asks of the
/// kind without naming it (output size, trainer, the layer type a checkpoint group holds). Each kind
/// lives in its own folder of this module with its layer, trainer and settings; `LayerKinds` lists
/// them.
public protocol LayerSettings: Sendable {
  /// The name in configs (`kind: crbm`) and in checkpoint groups (the `kind` attribute).
  static var kind: String { get }
  /// The layer type this kind trains and loads.
  static var layerType: any FeatureLayer.Type { get }
  /// The config keys this kind reads beyond `LayerShape.keys` and the schedule's.
  static var keys: Set<String> { get }

  /// Reads one config entry. `shape` holds what was read of the shared keys and may be adjusted
  /// (a kind whose pooling defaults differently); `position` is the layer's place in the stack,
  /// 0 for the first.
  init(reading r: any LayerSettingsReader, shape: inout LayerShape, position: Int) throws

  /// The layer's output size for input maps of `height`×`width`, or nil when the filters do not fit.
  func outputSize(height: Int, width: Int, shape: LayerShape) -> (height: Int, width: Int)?
  /// Throws `ModelError.invalidConfiguration` when the layer cannot sit on `inputChannels` maps.
  func check(inputChannels: Int, shape: LayerShape) throws
  /// The mean activation the layer is trained towards (its health is measured against it), if any.
  var activationTarget: Double? { get }
  /// Whether the layer's starting scale is measured from its input (see `StartingScale`).
  var startsFromInput: Bool { get }
  /// These settings with every learning rate multiplied by `factor` (`pretrain --resume
  /// --learning-rate-scale`, after a divergence); kinds without one return themselves.
  func scalingLearningRates(by factor: Float) -> any LayerSettings

  /// A trainer: fresh (parameters drawn from `seed`, starting from `start` when given) or around
  /// `existing`, a layer read from a checkpoint.
  func makeTrainer(
    shape: LayerShape, inputChannels: Int, existing: (any FeatureLayer)?, seed: UInt64,
    start: StartingScale?
  ) throws -> any LayerTrainer
}

extension LayerSettings {
  public func check(inputChannels: Int, shape: LayerShape) throws {}
  public var activationTarget: Double? { nil }
  public var startsFromInput: Bool { false }
  public func scalingLearningRates(by factor: Float) -> any LayerSettings { self }

  /// The layer read from a checkpoint as this kind's layer type (nil for a fresh layer).
  public func existing<Layer: FeatureLayer>(_ layer: (any FeatureLayer)?, as type: Layer.Type)
    throws -> Layer?
  {
    guard let layer else { return nil }
    guard let typed = layer as? Layer else {
      throw ModelError.malformedCheckpoint(
        "the layer in the file is a \(Swift.type(of: layer).kind) layer, not \(Layer.kind)")
    }
    return typed
  }
}
