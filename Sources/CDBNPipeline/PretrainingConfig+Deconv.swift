import CDBNModels

/// The settings only a deconvolutional layer (`kind: deconv`) has; shape, pooling block and schedule
/// are the `Layer`'s own.
public struct DeconvSettings: Sendable, Equatable {
  public var inference = DeconvInference()
  public var poolingFunction: DeconvPooling = .none
  /// Input maps per feature map of a seeded random connectivity table; nil is full connectivity.
  public var fanIn: Int?
  /// Conjugate-gradient steps of the filter update per batch.
  public var filterIterations = 2

  public init() {}
}

extension PretrainingConfig {
  /// A `kind: deconv` layer:
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
  ///   filter_cg_iterations: 2  # conjugate-gradient steps of the filter update per batch
  ///   pooling_function: none   # none (signed maps, unpooled), max or average (of |z|)
  ///   pooling: 2               # block of max/average pooling (default 2 with them)
  ///   connectivity: full       # or random, with fan_in input maps per feature map (seeded)
  ///   fan_in: 2
  /// ```
  static func readDeconvLayer(_ r: ConfigReader, schedule: Schedule) throws -> Layer {
    try r.allowOnly(
      layerShapeKeys.union([
        "pooling_function", "lambda", "p", "beta_start", "beta_growth", "continuation_steps",
        "cg_iterations", "filter_cg_iterations", "connectivity", "fan_in",
      ]))
    let (filters, size) = try readFilters(r)
    var layer = Layer(
      filters: filters, filterSize: size, training: ContrastiveDivergence(), schedule: schedule)
    layer.kind = DeconvLayer.kind
    var d = DeconvSettings()

    let block = try readPooling(r)
    if let name = try r.string("pooling_function") {
      guard let function = DeconvPooling(rawValue: name) else {
        throw r.fail("pooling_function", "must be none, max or average, got \"\(name)\"")
      }
      d.poolingFunction = function
    } else if block != nil {
      d.poolingFunction = .max
    }
    if d.poolingFunction == .none {
      guard block == nil || block == [1, 1] else {
        throw r.fail("pooling", "must be 1 (or left out) with pooling_function none")
      }
      layer.pooling = [1, 1]
    } else {
      layer.pooling = block ?? [2, 2]
    }

    if let v = try r.float("lambda") { d.inference.lambda = v }
    if let v = try r.float("p") { d.inference.p = v }
    if let v = try r.float("beta_start") { d.inference.betaStart = v }
    if let v = try r.float("beta_growth") { d.inference.betaGrowth = v }
    if let n = try r.int("continuation_steps") { d.inference.continuationSteps = n }
    if let n = try r.int("cg_iterations") { d.inference.cgIterations = n }
    if let n = try r.int("filter_cg_iterations", in: 1...1000) { d.filterIterations = n }
    do { try d.inference.validate() } catch {
      throw PipelineError(r.file, "\(ConfigReader.location(r.node))\(r.path): \(error)")
    }

    switch try r.string("connectivity") ?? "full" {
    case "full":
      guard !r.has("fan_in") else { throw r.fail("fan_in", "needs connectivity: random") }
    case "random":
      guard let fanIn = try r.int("fan_in", in: 1...65_536) else {
        throw r.fail("fan_in", "is required with connectivity: random")
      }
      d.fanIn = fanIn
    case let other:
      throw r.fail("connectivity", "must be full or random, got \"\(other)\"")
    }
    layer.deconv = d
    try readSchedule(r, into: &layer.schedule)
    return layer
  }

  /// Checks that no random connectivity table asks for more input maps than the layer below has.
  /// (The first layer's input channels are known only from the data; the layer checks them then.)
  func checkConnectivity(file: String) throws {
    for i in layers.indices.dropFirst() {
      if let fanIn = layers[i].deconv?.fanIn, fanIn > layers[i - 1].filters {
        throw PipelineError(
          file,
          "layers[\(i)]: fan_in \(fanIn) is more than the \(layers[i - 1].filters) maps of layers[\(i - 1)]"
        )
      }
    }
  }
}
