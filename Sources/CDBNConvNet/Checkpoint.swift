import CDBNNumerics
import CDBNStorage

/// The checkpoint schema of a network (a public contract, read by Python users):
///
///   <group>            attrs: kind = "cnn", format_version = 1, input_shape = [C, H, W],
///                             layer_count, classes
///   <group>/layers/<i> attrs: kind, and per kind:
///     conv             filters, kernel [kh, kw], stride [sh, sw], padding [ph, pw];
///                      float32 datasets weights [K, C, kh, kw], bias [K]
///                      (cross-correlation, no flip: PyTorch's conv2d and the CRBM's convention)
///     relu | tanh | sigmoid
///     maxpool | avgpool | l2pool   size [h, w], stride [h, w], ragged (0 | 1)
///     lcn              size, sigma, divisor ("mean_sigma" | "constant"), constant
///     dense            outputs; float32 datasets weights [M, C·H·W], bias [M]
///     dropout          rate
extension Network {
  public static let checkpointKind = "cnn"
  public static let formatVersion = 1

  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.checkpointKind)
    try group.setAttribute("format_version", Self.formatVersion)
    try group.setAttribute("input_shape", spec.inputShape)
    try group.setAttribute("layer_count", layers.count)
    try group.setAttribute("classes", classes)
    let all = try group.createGroup("layers")
    for (i, layer) in layers.enumerated() {
      let g = try all.createGroup(String(i))
      try g.setAttribute("kind", layer.kind)
      switch layer.spec {
      case .convolution(let filters, let kernel, let stride, let padding):
        try g.setAttribute("filters", filters)
        try g.setAttribute("kernel", kernel.array)
        try g.setAttribute("stride", stride.array)
        try g.setAttribute("padding", padding.array)
      case .activation: break
      case .pooling(_, let size, let stride, let ragged):
        try g.setAttribute("size", size.array)
        try g.setAttribute("stride", (stride ?? size).array)
        try g.setAttribute("ragged", ragged ? 1 : 0)
      case .localContrastNormalization(let size, let sigma, let divisor):
        try g.setAttribute("size", size)
        try g.setAttribute("sigma", Double(sigma))
        switch divisor {
        case .meanSigma:
          try g.setAttribute("divisor", "mean_sigma")
          try g.setAttribute("constant", 0.0)
        case .constant(let c):
          try g.setAttribute("divisor", "constant")
          try g.setAttribute("constant", Double(c))
        }
      case .dense(let outputs):
        try g.setAttribute("outputs", outputs)
      case .dropout(let rate):
        try g.setAttribute("rate", Double(rate))
      }
      for p in layer.parameters {
        try g.writeFloats(p.name, shape: p.shape, p.scalars)
      }
    }
  }

  /// Reads a network written by `save(to:)`; every missing or inconsistent piece is a
  /// `ConvNetError.malformedCheckpoint` naming the group (HDF5 failures stay `HDF5Error`s).
  public convenience init(from group: HDF5Group) throws {
    let at = group.name
    func bad(_ m: String) -> ConvNetError { .malformedCheckpoint("\(at): \(m)") }
    let kind = try group.stringAttribute("kind")
    guard kind == Self.checkpointKind else { throw bad("kind is \"\(kind)\", expected \"cnn\"") }
    let version = try group.intAttribute("format_version")
    guard version == Self.formatVersion else { throw bad("format_version \(version) is not 1") }
    let inputShape = try group.intArrayAttribute("input_shape")
    let count = try group.intAttribute("layer_count")
    guard count > 0, count < 10_000 else { throw bad("layer_count \(count)") }
    let all = try group.openGroup("layers")
    var specs: [LayerSpec] = []
    var groups: [HDF5Group] = []
    for i in 0..<count {
      let g = try all.openGroup(String(i))
      groups.append(g)
      specs.append(try Self.layerSpec(from: g))
    }
    let spec = NetworkSpec(inputShape: inputShape, layers: specs)
    do {
      try self.init(spec: spec, parameters: nil)
    } catch {
      throw bad("the stored layers do not form a network: \(error)")
    }
    for (layer, g) in zip(layers, groups) {
      for p in layer.parameters {
        let stored = try g.readFloats(p.name)
        guard stored.shape == p.shape else {
          throw ConvNetError.malformedCheckpoint(
            "\(g.name)/\(p.name): shape \(stored.shape), expected \(p.shape)")
        }
        if let i = stored.values.firstIndex(where: { !$0.isFinite }) {
          throw ConvNetError.malformedCheckpoint(
            "\(g.name)/\(p.name): value \(stored.values[i]) at index \(i) is not finite")
        }
        p.scalars = stored.values
      }
    }
  }

  static func layerSpec(from g: HDF5Group) throws -> LayerSpec {
    func bad(_ m: String) -> ConvNetError { .malformedCheckpoint("\(g.name): \(m)") }
    func pair(_ name: String) throws -> Size2 {
      let v = try g.intArrayAttribute(name)
      guard v.count == 2 else { throw bad("\(name) must be two integers, got \(v)") }
      return Size2(v[0], v[1])
    }
    let name = try g.stringAttribute("kind")
    guard let kind = LayerSpec.Kind(rawValue: name) else {
      throw bad("unknown layer kind \"\(name)\" (known: \(LayerSpec.Kind.names))")
    }
    switch kind {
    case .conv:
      return .convolution(
        filters: try g.intAttribute("filters"), kernel: try pair("kernel"),
        stride: try pair("stride"), padding: try pair("padding"))
    case .relu, .tanh, .sigmoid:
      return .activation(kind.activation ?? .relu)
    case .maxpool, .avgpool, .l2pool:
      return .pooling(
        kind.pooling ?? .max, size: try pair("size"), stride: try pair("stride"),
        ragged: try g.intAttribute("ragged") != 0)
    case .lcn:
      let divisorName = try g.stringAttribute("divisor")
      let divisor: LCNDivisor
      switch divisorName {
      case "mean_sigma": divisor = .meanSigma
      case "constant": divisor = .constant(Float(try g.doubleAttribute("constant")))
      default: throw bad("divisor \"\(divisorName)\", expected mean_sigma or constant")
      }
      return .localContrastNormalization(
        size: try g.intAttribute("size"), sigma: Float(try g.doubleAttribute("sigma")),
        divisor: divisor)
    case .dense:
      return .dense(outputs: try g.intAttribute("outputs"))
    case .dropout:
      return .dropout(rate: Float(try g.doubleAttribute("rate")))
    }
  }
}

/// The optimizer state schema:
///
///   <group>   attrs: kind = "sgd", epoch, step, seed (the UInt64 bit pattern as int64),
///                    learning_rate, momentum, weight_decay, batch_size, chunk_size, max_shift [h, w],
///                    shuffle, random_crop, schedule ("constant" | "step" | "exponential"), schedule_every,
///                    schedule_factor, frozen_parameters, frozen_epochs, rng = "keyed"
///             float32 datasets velocity_<i> shaped like parameter i of the network
///
/// There is no running random-number state to save: every draw comes from a stream keyed by
/// (seed, epoch, step, example), so seed, epoch and step are all a resumed run needs.
extension ConvNetTrainer {
  public func saveState(to group: HDF5Group) throws {
    try group.setAttribute("kind", "sgd")
    try group.setAttribute("epoch", epoch)
    try group.setAttribute("step", step)
    try group.setAttribute("seed", Int(Int64(bitPattern: seed)))
    try group.setAttribute("rng", "keyed")
    try settings.save(to: group)
    for (i, p) in network.parameters.enumerated() {
      try group.writeFloats("velocity_\(i)", shape: p.shape, velocities[i].array)
    }
  }

  /// The settings stored by `saveState(to:)`.
  public static func settings(from group: HDF5Group) throws -> TrainingSettings {
    try TrainingSettings(from: group)
  }

  /// A trainer for `network` that continues exactly where the one that wrote `group` stopped
  /// (settings, seed, epoch, step and velocities from the file).
  public convenience init(network: Network, from group: HDF5Group) throws {
    let settings = try Self.settings(from: group)
    try self.init(network: network, settings: settings, seed: 0)
    try restoreState(from: group)
  }

  /// Restores seed, epoch, step and velocities (not the settings, which the caller chose).
  public func restoreState(from group: HDF5Group) throws {
    let kind = try group.stringAttribute("kind")
    guard kind == "sgd" else {
      throw ConvNetError.malformedCheckpoint("\(group.name): kind \"\(kind)\", expected \"sgd\"")
    }
    let e = try group.intAttribute("epoch")
    let s = try group.intAttribute("step")
    guard e >= 0, s >= 0 else {
      throw ConvNetError.malformedCheckpoint("\(group.name): epoch \(e), step \(s)")
    }
    var restored: [[Float]] = []
    for (i, p) in network.parameters.enumerated() {
      let v = try group.readFloats("velocity_\(i)")
      guard v.shape == p.shape else {
        throw ConvNetError.malformedCheckpoint(
          "\(group.name)/velocity_\(i): shape \(v.shape), expected \(p.shape)")
      }
      restored.append(v.values)
    }
    seed = UInt64(bitPattern: Int64(try group.intAttribute("seed")))
    epoch = e
    step = s
    for (buffer, values) in zip(velocities, restored) {
      values.withUnsafeBufferPointer {
        buffer.pointer.update(from: $0.baseAddress!, count: buffer.count)
      }
    }
  }
}

/// The settings' attributes, as listed above: in a trainer's state and in a saved `ConvNetClassifier`.
extension TrainingSettings {
  public func save(to group: HDF5Group) throws {
    try group.setAttribute("learning_rate", Double(learningRate))
    try group.setAttribute("momentum", Double(momentum))
    try group.setAttribute("weight_decay", Double(weightDecay))
    try group.setAttribute("batch_size", batchSize)
    try group.setAttribute("chunk_size", chunkSize)
    try group.setAttribute("max_shift", maxShift.array)
    try group.setAttribute("shuffle", shuffle ? 1 : 0)
    try group.setAttribute("random_crop", randomCrop ? 1 : 0)
    try group.setAttribute("frozen_parameters", frozenParameters)
    try group.setAttribute("frozen_epochs", frozenEpochs)
    switch schedule {
    case .constant:
      try group.setAttribute("schedule", "constant")
    case .step(let every, let factor):
      try group.setAttribute("schedule", "step")
      try group.setAttribute("schedule_every", every)
      try group.setAttribute("schedule_factor", Double(factor))
    case .exponential(let decay):
      try group.setAttribute("schedule", "exponential")
      try group.setAttribute("schedule_factor", Double(decay))
    }
  }

  /// Settings written by `save(to:)`, validated.
  public init(from group: HDF5Group) throws {
    var s = TrainingSettings()
    s.learningRate = Float(try group.doubleAttribute("learning_rate"))
    s.momentum = Float(try group.doubleAttribute("momentum"))
    s.weightDecay = Float(try group.doubleAttribute("weight_decay"))
    s.batchSize = try group.intAttribute("batch_size")
    s.chunkSize = try group.intAttribute("chunk_size")
    let shift = try group.intArrayAttribute("max_shift")
    guard shift.count == 2 else {
      throw ConvNetError.malformedCheckpoint("\(group.name): max_shift \(shift)")
    }
    s.maxShift = Size2(shift[0], shift[1])
    s.shuffle = try group.intAttribute("shuffle") != 0
    s.randomCrop = try group.intAttribute("random_crop") != 0
    // Absent from files written before freezing existed: nothing frozen.
    if group.hasAttribute("frozen_parameters") {
      s.frozenParameters = try group.intAttribute("frozen_parameters")
      s.frozenEpochs = try group.intAttribute("frozen_epochs")
    }
    let schedule = try group.stringAttribute("schedule")
    switch schedule {
    case "constant": s.schedule = .constant
    case "step":
      s.schedule = .step(
        every: try group.intAttribute("schedule_every"),
        factor: Float(try group.doubleAttribute("schedule_factor")))
    case "exponential":
      s.schedule = .exponential(decay: Float(try group.doubleAttribute("schedule_factor")))
    default:
      throw ConvNetError.malformedCheckpoint("\(group.name): schedule \"\(schedule)\"")
    }
    do { try s.validate() } catch {
      throw ConvNetError.malformedCheckpoint("\(group.name): \(error)")
    }
    self = s
  }

}
