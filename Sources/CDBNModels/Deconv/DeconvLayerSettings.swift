/// A `kind: deconv` layer's settings (Zeiler et al. 2010): its inference, pooling function and
/// connectivity.
///
/// ```yaml
/// - kind: deconv
///   filters: 16
///   filter: [7, 7]
///   lambda: 1                # weight of the reconstruction term
///   p: 1                     # sparsity norm, in (0, 1]
///   beta_start: 1            # continuation: β = beta_start · beta_growth^t, t < continuation_steps
///   beta_growth: 10
///   continuation_steps: 6
///   cg_iterations: 5         # conjugate-gradient steps of each z-step
///   solver: continuation     # or fista (p 1 only): minimises the objective itself, sparse maps
///   fista_iterations: 100    # FISTA steps per example (solver fista)
///   filter_cg_iterations: 2  # conjugate-gradient steps of the filter update per batch
///   pooling_function: none   # none (signed maps, unpooled), max or average (of |z|)
///   pooling: 2               # block of max/average pooling (default 2 with them)
///   connectivity: full       # or random, with fan_in input maps per feature map (seeded)
///   fan_in: 2
/// ```
public struct DeconvLayerSettings: LayerSettings, Equatable {
  public static let kind = DeconvLayer.kind
  public static var layerType: any FeatureLayer.Type { DeconvLayer.self }
  public static let keys: Set<String> = [
    "pooling_function", "lambda", "p", "beta_start", "beta_growth", "continuation_steps",
    "cg_iterations", "filter_cg_iterations", "connectivity", "fan_in", "solver", "fista_iterations",
  ]

  public var inference = DeconvInference()
  public var poolingFunction: DeconvPooling = .none
  /// Input maps per feature map of a seeded random connectivity table; nil is full connectivity.
  public var fanIn: Int?
  /// Conjugate-gradient steps of the filter update per batch.
  public var filterIterations = 2

  public init() {}

  /// Without a pooling function the layer is unpooled (pooling 1×1); a pooling block alone means
  /// max pooling, and max or average alone a 2×2 block.
  public init(reading r: any LayerSettingsReader, shape: inout LayerShape, position: Int) throws {
    let block = try r.pair("pooling")
    if let name = try r.string("pooling_function") {
      guard let function = DeconvPooling(rawValue: name) else {
        throw r.fail("pooling_function", "must be none, max or average, got \"\(name)\"")
      }
      poolingFunction = function
    } else if block != nil {
      poolingFunction = .max
    }
    if poolingFunction == .none {
      guard block == nil || block == [1, 1] else {
        throw r.fail("pooling", "must be 1 (or left out) with pooling_function none")
      }
      shape.pooling = [1, 1]
    }

    if let v = try r.float("lambda") { inference.lambda = v }
    if let v = try r.float("p") { inference.p = v }
    if let v = try r.float("beta_start") { inference.betaStart = v }
    if let v = try r.float("beta_growth") { inference.betaGrowth = v }
    if let n = try r.int("continuation_steps") { inference.continuationSteps = n }
    if let n = try r.int("cg_iterations") { inference.cgIterations = n }
    if let n = try r.int("filter_cg_iterations", in: 1...1000) { filterIterations = n }
    if let name = try r.string("solver") {
      guard let solver = DeconvInference.Solver(rawValue: name) else {
        throw r.fail("solver", "must be continuation or fista, got \"\(name)\"")
      }
      inference.solver = solver
    }
    if let n = try r.int("fista_iterations") { inference.fistaIterations = n }
    try r.validating { try inference.validate() }

    switch try r.string("connectivity") ?? "full" {
    case "full":
      guard !r.has("fan_in") else { throw r.fail("fan_in", "needs connectivity: random") }
    case "random":
      guard let n = try r.int("fan_in", in: 1...65_536) else {
        throw r.fail("fan_in", "is required with connectivity: random")
      }
      fanIn = n
    case let other:
      throw r.fail("connectivity", "must be full or random, got \"\(other)\"")
    }
  }

  public func outputSize(height: Int, width: Int, shape: LayerShape) -> (height: Int, width: Int)? {
    DeconvLayer.outputSize(
      height: height, width: width, filter: shape.filterSize, pooling: shape.pooling)
  }

  /// A random connectivity table cannot ask for more input maps than the layer below has.
  public func check(inputChannels: Int, shape: LayerShape) throws {
    if let fanIn, fanIn > inputChannels {
      throw ModelError.invalidConfiguration(
        "fan_in \(fanIn) is more than its \(inputChannels) input maps")
    }
  }

  /// A fresh layer draws its filters and any random connectivity table from `seed`.
  public func makeTrainer(
    shape: LayerShape, inputChannels: Int, existing: (any FeatureLayer)?, seed: UInt64,
    start: StartingScale?
  ) throws -> any LayerTrainer {
    let layer: DeconvLayer
    if let read = try self.existing(existing, as: DeconvLayer.self) {
      layer = read
    } else {
      let table = try fanIn.map {
        try ConnectivityTable.random(
          maps: shape.filters, channels: inputChannels, fanIn: $0, seed: seed)
      }
      layer = try DeconvLayer(
        channels: inputChannels, maps: shape.filters, filterHeight: shape.filterSize[0],
        filterWidth: shape.filterSize[1], connectivity: table, inference: inference,
        pooling: poolingFunction, poolHeight: shape.pooling[0], poolWidth: shape.pooling[1],
        seed: seed)
    }
    return try DeconvTrainer(layer: layer, filterIterations: filterIterations)
  }
}
