import CDBNClassifiers
import CDBNNumerics
import CDBNStorage
import RealModule

extension ClassifierKind {
  /// The convolutional network, `ConvNetClassifier`.
  public static let cnn = ClassifierKind(rawValue: Network.checkpointKind)
}

/// The CNN as a `Classifier`, beside the SVMs and softmax: each row of a `FeatureMatrix` is one
/// example of `spec.inputShape` [C, H, W], flattened row-major (a feature file's [N, K, H, W]
/// maps, or pictures). `fit` trains a network of `spec` from its seeded start for `epochs` epochs
/// of momentum SGD, outputs 0..<K standing for the K training labels in ascending order.
///
/// A value like the other classifiers: the fitted weights are arrays, and each prediction builds
/// its own network from them, so one model may serve several threads. Its settings come whole from
/// its config, so it has no cross-validation grid.
///
/// Saved as: attributes `kind` = "cnn", `epochs`, `seed` and the `TrainingSettings` attributes;
/// dataset `classes` [K] int64; subgroup `network` (the `Network` checkpoint schema).
public struct ConvNetClassifier: Classifier {
  public let spec: NetworkSpec
  public let settings: TrainingSettings
  public let epochs: Int
  public let seed: UInt64
  public private(set) var classes: [Int] = []
  /// The reports of the last fit's epochs (empty for a loaded model).
  public private(set) var history: [EpochReport] = []
  /// Each parameter's values in `Network.parameters` order; empty before fitting.
  private var weights: [[Float]] = []
  /// Hears each epoch of `fit` as it ends, and may throw to stop it (a stop request).
  public var epochEnded: (@Sendable (EpochReport) throws -> Void)?
  /// Hears each batch of `fit` as it ends (the examples done in this epoch and their mean loss), and
  /// may throw to stop mid-epoch (a stop request); `fit` then leaves the classifier unfitted.
  public var batchEnded: (@Sendable (_ examplesDone: Int, _ meanLoss: Double) throws -> Void)?

  /// An unfitted classifier; the spec and settings are checked here, so a bad config fails before
  /// any data is read.
  public init(
    spec: NetworkSpec, settings: TrainingSettings = TrainingSettings(), epochs: Int = 10,
    seed: UInt64 = 1
  ) throws(ConvNetError) {
    _ = try spec.shapes()
    try settings.validate()
    guard epochs >= 1 else { throw .invalidSettings("epochs must be at least 1, got \(epochs)") }
    self.spec = spec.canonical
    self.settings = settings
    self.epochs = epochs
    self.seed = seed
  }

  /// A fitted classifier over a trained network whose first `classes.count` outputs stand for
  /// `classes` (ascending, as `fit` numbers them).
  public init(
    network: Network, classes: [Int], settings: TrainingSettings = TrainingSettings(),
    epochs: Int = 1, seed: UInt64 = 1
  ) throws {
    guard classes.count >= 2, classes.count <= network.classes, classes == classes.sorted(),
      Set(classes).count == classes.count
    else {
      throw ClassifierError.invalidParameter(
        "cnn: \(classes.count) classes \(classes) for a network of \(network.classes) outputs; expected at least two distinct labels, ascending, at most one per output"
      )
    }
    try self.init(spec: network.spec, settings: settings, epochs: epochs, seed: seed)
    self.classes = classes
    weights = network.parameters.map(\.scalars)
  }

  public var kind: ClassifierKind { .cnn }
  public var featureCount: Int { weights.isEmpty ? 0 : spec.inputShape.reduce(1, *) }
  public var defaultGrid: [GridPoint] { [] }

  public func configured(_ point: GridPoint) throws -> ConvNetClassifier {
    throw ClassifierError.invalidParameter(
      "cnn: C and γ do not apply (asked for \(point)); its settings come whole from its config")
  }

  /// A network of `spec` holding the fitted weights.
  public func network() throws -> Network {
    guard !weights.isEmpty else {
      throw ClassifierError.notFitted("cnn classifier has not been fitted or loaded")
    }
    let network = try Network(spec: spec, parameters: nil)
    for (parameter, values) in zip(network.parameters, weights) { parameter.scalars = values }
    return network
  }

  public mutating func fit(_ x: FeatureMatrix, labels: [Int]) throws {
    let encoded = try ClassLabels(validating: x, labels: labels)
    let width = spec.inputShape.reduce(1, *)
    guard x.columns == width else {
      throw ClassifierError.shapeMismatch(
        "features have \(x.columns) columns; the network takes examples of \(spec.inputShape) = \(width) values"
      )
    }
    let outputs = try spec.classes()
    guard encoded.classes.count <= outputs else {
      throw ClassifierError.invalidParameter(
        "cnn: the network's last layer gives \(outputs) outputs for \(encoded.classes.count) classes"
      )
    }
    let network = try Network(spec: spec, seed: seed)
    let trainer = try ConvNetTrainer(network: network, settings: settings, seed: seed)
    let data = Tensor(shape: [x.rows] + spec.inputShape, scalars: x.values)
    history = try trainer.train(
      data: data, labels: encoded.indices, epochs: epochs, callback: { try epochEnded?($0) },
      progress: { try batchEnded?($0, $1) })
    weights = network.parameters.map(\.scalars)
    classes = encoded.classes
  }

  /// Softmax probabilities over the K classes, [N, K]: outputs beyond K, which training never
  /// used, are left out and each row renormalised.
  func probabilities(_ x: FeatureMatrix) throws -> [Float] {
    try validatePrediction(x, featureCount: featureCount, kind: kind)
    let p = try network().predict(Tensor(shape: [x.rows] + spec.inputShape, scalars: x.values))
    let (n, outputs, k) = (x.rows, p.shape[1], classes.count)
    var out = [Float](repeating: 0, count: n * k)
    for e in 0..<n {
      let row = p.scalars[(e * outputs)..<(e * outputs + k)]
      let total = row.reduce(0, +)
      for (j, v) in row.enumerated() { out[e * k + j] = total > 0 ? v / total : 1 / Float(k) }
    }
    return out
  }

  /// The predicted labels (the most probable class; ties go to the smaller label) and the
  /// probabilities [N, K], from one pass through the network.
  public func classify(_ x: FeatureMatrix) throws -> (predicted: [Int], probabilities: [Float]) {
    let p = try probabilities(x)
    let k = classes.count
    let predicted = (0..<x.rows).map { e in
      var best = 0
      for j in 1..<k where p[e * k + j] > p[e * k + best] { best = j }
      return classes[best]
    }
    return (predicted, p)
  }

  public func predict(_ x: FeatureMatrix) throws -> [Int] { try classify(x).predicted }

  /// Log-probabilities, floored at the smallest normal float so that none is −∞.
  public func scores(_ x: FeatureMatrix) throws -> [Float] {
    try probabilities(x).map { Float.log(max($0, .leastNormalMagnitude)) }
  }

  public func probabilityEstimates(_ x: FeatureMatrix) throws -> [Float]? {
    try probabilities(x)
  }

  public func save(to group: HDF5Group) throws {
    let network = try network()
    try group.setAttribute("kind", kind.rawValue)
    try group.setAttribute("epochs", epochs)
    try group.setAttribute("seed", Int(Int64(bitPattern: seed)))
    try settings.save(to: group)
    try group.writeInts("classes", shape: [classes.count], classes)
    try network.save(to: try group.createGroup("network"))
  }

  public static func load(from group: HDF5Group) throws -> ConvNetClassifier {
    try ClassifierKind.cnn.requireSaved(in: group)
    func bad(_ m: String) -> ClassifierError { .malformedModel("\(group.name): \(m)") }
    guard group.isGroup("network") else { throw bad("no network group") }
    guard group.contains("classes") else { throw bad("no classes dataset") }
    let classes = try group.readInts("classes")
    guard classes.shape.count == 1 else { throw bad("classes has shape \(classes.shape)") }
    let epochs = try group.intAttribute("epochs")
    guard epochs >= 1 else { throw bad("epochs is \(epochs)") }
    let network = try Network(from: group.openGroup("network"))
    do {
      return try ConvNetClassifier(
        network: network, classes: classes.values, settings: TrainingSettings(from: group),
        epochs: epochs, seed: UInt64(bitPattern: Int64(try group.intAttribute("seed"))))
    } catch let error as ClassifierError {
      throw bad("\(error)")
    }
  }
}
