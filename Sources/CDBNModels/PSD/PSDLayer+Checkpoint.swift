import CDBNNumerics
import CDBNStorage

/// The checkpoint schema of a PSD layer group (a public contract, read by Python users):
/// attributes `kind` = "psd", `encoder` = "tanh" | "shrink", `features` = "encoder" | "codes",
/// `lambda`, `beta`, `fista_iterations`, `fista_tolerance`, `rectify` (0 | 1), `lcn_size` (0: no LCN),
/// `lcn_sigma`, `pooling` = [ph, pw]; float32 datasets `dictionary` [K, C, fh, fw] (unit-norm decoder
/// filters), `encoder_weights` [K, C, fh, fw], `encoder_gain` [K], `encoder_bias` [K].
extension PSDLayer {
  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.kind)
    try group.setAttribute("encoder", settings.encoder.rawValue)
    try group.setAttribute("features", settings.features.rawValue)
    try group.setAttribute("lambda", Double(settings.sparsity))
    try group.setAttribute("beta", Double(settings.predictionWeight))
    try group.setAttribute("fista_iterations", settings.fistaIterations)
    try group.setAttribute("fista_tolerance", Double(settings.fistaTolerance))
    try group.setAttribute("rectify", stage.rectify ? 1 : 0)
    try group.setAttribute("lcn_size", stage.contrast?.size ?? 0)
    try group.setAttribute("lcn_sigma", Double(stage.contrast?.sigma ?? 0))
    try group.setAttribute("pooling", stage.pooling)
    try group.writeFloats("dictionary", shape: dictionary.shape, dictionary.scalars)
    // Every kind's filters are also at `filters` (a second name, not a copy).
    try group.link("dictionary", as: "filters")
    try group.writeFloats("encoder_weights", shape: encoderWeights.shape, encoderWeights.scalars)
    try group.writeFloats("encoder_gain", shape: [encoderGain.count], encoderGain)
    try group.writeFloats("encoder_bias", shape: [encoderBias.count], encoderBias)
  }

  public init(from group: HDF5Group) throws {
    let where_ = group.name
    func fail(_ m: String) -> ModelError { .malformedCheckpoint("\(where_)\(m)") }
    let kind = try group.stringAttribute("kind")
    guard kind == Self.kind else { throw fail(": kind is \"\(kind)\", expected \"psd\"") }
    var settings = PSDSettings()
    let encoderName = try group.stringAttribute("encoder")
    guard let encoder = EncoderFunction(rawValue: encoderName) else {
      throw fail(": encoder is \"\(encoderName)\", expected tanh or shrink")
    }
    settings.encoder = encoder
    let featuresName = try group.stringAttribute("features")
    guard let features = CodeSource(rawValue: featuresName) else {
      throw fail(": features is \"\(featuresName)\", expected encoder or codes")
    }
    settings.features = features
    settings.sparsity = Float(try group.doubleAttribute("lambda"))
    settings.predictionWeight = Float(try group.doubleAttribute("beta"))
    settings.fistaIterations = try group.intAttribute("fista_iterations")
    settings.fistaTolerance = Float(try group.doubleAttribute("fista_tolerance"))
    let pooling = try group.intArrayAttribute("pooling")
    guard pooling.count == 2 else { throw fail(": pooling must be two integers, got \(pooling)") }
    let lcnSize = try group.intAttribute("lcn_size")
    let rectify = try group.intAttribute("rectify")
    guard rectify == 0 || rectify == 1 else {
      throw fail(": rectify must be 0 or 1, got \(rectify)")
    }
    let stage = FeatureStage(
      rectify: rectify == 1,
      contrast: lcnSize == 0 ? nil : (lcnSize, Float(try group.doubleAttribute("lcn_sigma"))),
      pooling: pooling)
    do {
      try settings.validate()
      try stage.validate()
    } catch let e as ModelError {
      throw fail(": \(e)")
    }

    // `dictionary`, or only `filters` in a file another tool wrote with the one name every kind has.
    let d = try group.readFloats(group.contains("dictionary") ? "dictionary" : "filters")
    guard d.shape.count == 4, d.shape.allSatisfy({ $0 > 0 }) else {
      throw fail("/dictionary: expected [K, C, h, w], got \(d.shape)")
    }
    let w = try group.readFloats("encoder_weights")
    guard w.shape == d.shape else {
      throw fail("/encoder_weights: shape \(w.shape) differs from the dictionary's \(d.shape)")
    }
    let gain = try group.readFloats("encoder_gain")
    let bias = try group.readFloats("encoder_bias")
    for (name, values) in [("encoder_gain", gain.values), ("encoder_bias", bias.values)]
    where values.count != d.shape[0] {
      throw fail("/\(name): \(values.count) values for \(d.shape[0]) filters")
    }
    for (name, values) in [
      ("dictionary", d.values), ("encoder_weights", w.values), ("encoder_gain", gain.values),
      ("encoder_bias", bias.values),
    ] {
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw fail("/\(name): value \(values[bad]) at index \(bad) is not finite")
      }
    }
    dictionary = Tensor(shape: d.shape, scalars: d.values)
    encoderWeights = Tensor(shape: w.shape, scalars: w.values)
    encoderGain = gain.values
    encoderBias = bias.values
    self.settings = settings
    self.stage = stage
  }
}
