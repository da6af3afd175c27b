import CDBNNumerics
import CDBNStorage

/// The checkpoint schema of a deconvolutional layer group (a public contract, read by Python users):
/// attributes `kind` = "deconv", `pooling` = [ph, pw], `pooling_function` = "none" | "max" |
/// "average", `lambda`, `p`, `beta_start`, `beta_growth`, `continuation_steps`, `cg_iterations`,
/// `solver` = "continuation" | "fista" and `fista_iterations` (both absent in files written before
/// them: the continuation);
/// datasets `filters` [K, C, fh, fw] float32 (the atoms: zero planes where unconnected, unit-norm
/// planes elsewhere) and `connectivity` [K, C] uint8 (1 where map k reconstructs input map c).
extension DeconvLayer {
  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.kind)
    try group.setAttribute("pooling", [poolHeight, poolWidth])
    try group.setAttribute("pooling_function", poolingFunction.rawValue)
    try group.setAttribute("lambda", Double(inference.lambda))
    try group.setAttribute("p", Double(inference.p))
    try group.setAttribute("beta_start", Double(inference.betaStart))
    try group.setAttribute("beta_growth", Double(inference.betaGrowth))
    try group.setAttribute("continuation_steps", inference.continuationSteps)
    try group.setAttribute("cg_iterations", inference.cgIterations)
    try group.setAttribute("solver", inference.solver.rawValue)
    try group.setAttribute("fista_iterations", inference.fistaIterations)
    try group.writeFloats("filters", shape: filters.shape, filters.scalars)
    try group.writeUInt8s(
      "connectivity", shape: [connectivity.maps, connectivity.channels],
      connectivity.connected.map { $0 ? 1 : 0 })
  }

  public init(from group: HDF5Group) throws {
    let where_ = group.name
    func fail(_ m: String) -> ModelError { .malformedCheckpoint("\(where_)\(m)") }
    let kind = try group.stringAttribute("kind")
    guard kind == Self.kind else { throw fail(": kind is \"\(kind)\", expected \"deconv\"") }
    let pooling = try group.intArrayAttribute("pooling")
    guard pooling.count == 2, pooling.allSatisfy({ $0 > 0 && $0 < 1 << 16 }) else {
      throw fail(": pooling must be two positive integers, got \(pooling)")
    }
    let functionName = try group.stringAttribute("pooling_function")
    guard let function = DeconvPooling(rawValue: functionName) else {
      throw fail(": pooling_function is \"\(functionName)\", expected none, max or average")
    }
    var inference = DeconvInference()
    inference.lambda = Float(try group.doubleAttribute("lambda"))
    inference.p = Float(try group.doubleAttribute("p"))
    inference.betaStart = Float(try group.doubleAttribute("beta_start"))
    inference.betaGrowth = Float(try group.doubleAttribute("beta_growth"))
    inference.continuationSteps = try group.intAttribute("continuation_steps")
    inference.cgIterations = try group.intAttribute("cg_iterations")
    if group.hasAttribute("solver") {
      let name = try group.stringAttribute("solver")
      guard let solver = DeconvInference.Solver(rawValue: name) else {
        throw fail(": solver is \"\(name)\", expected continuation or fista")
      }
      inference.solver = solver
      inference.fistaIterations = try group.intAttribute("fista_iterations")
    }
    let f = try group.readFloats("filters")
    guard f.shape.count == 4, f.shape.allSatisfy({ $0 > 0 }) else {
      throw fail("/filters: expected [K, C, h, w], got \(f.shape)")
    }
    if let bad = f.values.firstIndex(where: { !$0.isFinite }) {
      throw fail("/filters: value \(f.values[bad]) at index \(bad) is not finite")
    }
    let g = try group.readUInt8s("connectivity")
    guard g.shape == [f.shape[0], f.shape[1]], g.values.allSatisfy({ $0 <= 1 }) else {
      throw fail(
        "/connectivity: expected [\(f.shape[0]), \(f.shape[1])] of 0 and 1, got shape \(g.shape)")
    }
    do {
      let table = try ConnectivityTable(
        maps: f.shape[0], channels: f.shape[1], connected: g.values.map { $0 == 1 })
      try self.init(
        filters: Tensor(shape: f.shape, scalars: f.values), connectivity: table,
        inference: inference, pooling: function, poolHeight: pooling[0], poolWidth: pooling[1])
    } catch let ModelError.invalidConfiguration(m) {
      throw fail(": \(m)")
    }
  }
}

extension DeconvTrainer {
  /// The step counter and the first error: the rest of the state is the layer.
  public func saveState(to group: HDF5Group) throws {
    try TrainerProgress.save(step: step, firstError: firstError, to: group)
  }

  public func restoreState(from group: HDF5Group) throws {
    (step, firstError) = try TrainerProgress.restore(from: group)
  }
}
