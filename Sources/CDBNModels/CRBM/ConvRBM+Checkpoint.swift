import CDBNNumerics
import CDBNStorage

/// The checkpoint schema of a ConvRBM layer group (a public contract, read by Python users):
/// attributes `kind` = "crbm", `visible` = "binary" | "gaussian", `pooling` = [ph, pw], `sigma` (the
/// Gaussian units' deviation, or for binary units the filters' gain 1/σ²);
/// float32 datasets `weights` [K, C, fh, fw], `hidden_bias` [K], `visible_bias` [C].
extension ConvRBM {
  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.kind)
    try group.setAttribute("visible", visible.rawValue)
    try group.setAttribute("pooling", [poolHeight, poolWidth])
    try group.setAttribute("sigma", Double(sigma))
    try group.writeFloats("weights", shape: weights.shape, weights.scalars)
    // Every kind's filters are also at `filters` (a second name, not a copy).
    try group.link("weights", as: "filters")
    try group.writeFloats("hidden_bias", shape: [hiddenBias.count], hiddenBias)
    try group.writeFloats("visible_bias", shape: [visibleBias.count], visibleBias)
  }

  public init(from group: HDF5Group) throws {
    let where_ = group.name
    let kind = try group.stringAttribute("kind")
    guard kind == Self.kind else {
      throw ModelError.malformedCheckpoint("\(where_): kind is \"\(kind)\", expected \"crbm\"")
    }
    let visibleName = try group.stringAttribute("visible")
    guard let visible = VisibleUnits(rawValue: visibleName) else {
      throw ModelError.malformedCheckpoint(
        "\(where_): visible is \"\(visibleName)\", expected binary or gaussian")
    }
    let pooling = try group.intArrayAttribute("pooling")
    guard pooling.count == 2, pooling.allSatisfy({ $0 > 0 && $0 < 1 << 16 }) else {
      throw ModelError.malformedCheckpoint(
        "\(where_): pooling must be two positive integers, got \(pooling)")
    }
    let sigma = group.hasAttribute("sigma") ? Float(try group.doubleAttribute("sigma")) : 1
    guard sigma > 0, sigma.isFinite else {
      throw ModelError.malformedCheckpoint("\(where_): sigma must be positive, got \(sigma)")
    }
    // `weights`, or only `filters` in a file another tool wrote with the one name every kind has.
    let w = try group.readFloats(group.contains("weights") ? "weights" : "filters")
    guard w.shape.count == 4, w.shape.allSatisfy({ $0 > 0 }) else {
      throw ModelError.malformedCheckpoint(
        "\(where_)/weights: expected [K, C, h, w], got \(w.shape)")
    }
    let hb = try group.readFloats("hidden_bias")
    let vb = try group.readFloats("visible_bias")
    guard hb.values.count == w.shape[0] else {
      throw ModelError.malformedCheckpoint(
        "\(where_)/hidden_bias: \(hb.values.count) values for \(w.shape[0]) filters")
    }
    guard vb.values.count == w.shape[1] else {
      throw ModelError.malformedCheckpoint(
        "\(where_)/visible_bias: \(vb.values.count) values for \(w.shape[1]) channels")
    }
    for (name, values) in [
      ("weights", w.values), ("hidden_bias", hb.values), ("visible_bias", vb.values),
    ] {
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw ModelError.malformedCheckpoint(
          "\(where_)/\(name): value \(values[bad]) at index \(bad) is not finite")
      }
    }
    self.visible = visible
    self.weights = Tensor(shape: w.shape, scalars: w.values)
    self.hiddenBias = hb.values
    self.visibleBias = vb.values
    self.poolHeight = pooling[0]
    self.poolWidth = pooling[1]
    self.sigma = sigma
  }
}

extension ConvRBMTrainer {
  /// Velocities, running activations, PCD chains, the step counter and the first error.
  public func saveState(to group: HDF5Group) throws {
    try TrainerProgress.save(step: step, firstError: firstError, to: group)
    try group.setAttribute("seed_low", Int(Int64(bitPattern: seed)))
    try group.writeFloats("weight_velocity", shape: rbm.weights.shape, weightVelocity)
    try group.writeFloats(
      "hidden_bias_velocity", shape: [hiddenBiasVelocity.count], hiddenBiasVelocity)
    try group.writeFloats(
      "visible_bias_velocity", shape: [visibleBiasVelocity.count], visibleBiasVelocity)
    try group.writeFloats("running_activation", shape: [runningActivation.count], runningActivation)
    if let chains { try group.writeFloats("chains", shape: chains.shape, chains.scalars) }
  }

  public func restoreState(from group: HDF5Group) throws {
    func floats(_ name: String, count: Int) throws -> [Float] {
      let r = try group.readFloats(name)
      guard r.values.count == count else {
        throw ModelError.malformedCheckpoint(
          "\(group.name)/\(name): \(r.values.count) values, expected \(count)")
      }
      return r.values
    }
    let w = try floats("weight_velocity", count: weightVelocity.count)
    let hb = try floats("hidden_bias_velocity", count: hiddenBiasVelocity.count)
    let vb = try floats("visible_bias_velocity", count: visibleBiasVelocity.count)
    let ra = try floats("running_activation", count: runningActivation.count)
    var restoredChains: Tensor? = nil
    if group.contains("chains") {
      let c = try group.readFloats("chains")
      restoredChains = Tensor(shape: c.shape, scalars: c.values)
    }
    (step, firstError) = try TrainerProgress.restore(from: group)
    weightVelocity = w
    hiddenBiasVelocity = hb
    visibleBiasVelocity = vb
    runningActivation = ra
    chains = restoredChains
  }
}
