import CDBNClassifiers
import CDBNConvNet
import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNStorage
import Foundation

/// `cdbn train-cnn`: trains a CNN on labelled examples, optionally starting its first convolution
/// layers from a CDBN's filters, and checkpoints after every epoch so `--resume` continues exactly.
///
/// The model file (written to a temporary file and renamed) holds root attributes `format` = "cdbn",
/// `kind` = "cnn", `format_version`, `config` (the YAML), `data`, `init` (the CDBN, if any),
/// `train_limit`, `train_rows` ([start, end]); `/preprocessing` (the CDBN's, applied to the data; "none" without `--init`);
/// `/classes` (the label of each output); `/label_names` (the name of each label value, when the data
/// has names: a resumed run and `classify --classifier cnn` match classes by it); `/network` (see CDBNConvNet's checkpoint schema);
/// `/training` (optimizer state, epoch, step, seed); `/history` with `loss`, `accuracy`, `seconds`.
public struct CNNTraining {
  public let config: CNNConfig
  public var dataPath: String
  public var outputPath: String
  public var initModelPath: String?
  /// Train on this many randomly chosen examples (keyed by the config's seed).
  public var trainLimit: Int?
  /// Train on these rows of the data only (the rest held out for validation, say).
  public var trainRows: Range<Int>?
  public var grayscale = true

  public init(config: CNNConfig, dataPath: String, outputPath: String) {
    self.config = config
    self.dataPath = dataPath
    self.outputPath = outputPath
  }

  /// Trains to the config's epoch count (from the checkpoint at `outputPath` with `resume`).
  @discardableResult
  public func run(resume: Bool = false, reporter: ProgressReporter? = nil) throws -> [EpochReport] {
    let lock = try PipelineError.naming(outputPath) { try OutputLock(for: outputPath) }
    defer { withExtendedLifetime(lock) {} }
    let preprocessing: Preprocessing
    var initial: ConvolutionalDBN? = nil
    if resume {
      preprocessing = try Self.readPreprocessing(outputPath)
    } else if let initModelPath {
      let model = try ModelCheckpoint.read(from: initModelPath).model
      initial = model
      preprocessing = model.preprocessing
    } else {
      preprocessing = .none
    }
    let examples = try LabelledExamples.load(
      dataPath, grayscale: grayscale, sizing: config.sizing,
      selection: RowSelection(range: trainRows, limit: trainLimit, seed: config.seed))
    let data = preprocessing.apply(examples.data)
    var labels = examples.labels ?? []
    var labelNames = examples.labelNames
    var classes = Array(Set(labels)).sorted()
    let network: Network
    let trainer: ConvNetTrainer
    var history: [EpochReport] = []
    if resume {
      let file = try PipelineError.naming(outputPath) {
        try HDF5File(path: outputPath, mode: .readOnly)
      }
      let root = file.root
      let stored = try PipelineError.naming(outputPath) { try root.stringAttribute("config") }
      guard stored == config.text else {
        throw PipelineError(
          outputPath, "was trained with a different config; --resume needs the same one")
      }
      let trained = try PipelineError.naming(outputPath) { try TrainedCNN.readClasses(root) }
      if let storedNames = trained.names, let names = labelNames {
        // The data may number its classes differently now (a class folder added, say): its labels
        // are put into the checkpoint's numbering by name.
        let storedNumber = Dictionary(
          uniqueKeysWithValues: storedNames.enumerated().map { ($1, $0) })
        let wanted = Set(trained.classes.map { storedNames[$0] })
        let present = Set(classes.map { names[$0] })
        guard present == wanted else {
          throw PipelineError(
            dataPath,
            "has classes \(present.sorted()) but \(outputPath) was trained on \(wanted.sorted())")
        }
        labels = labels.map { storedNumber[names[$0]]! }
        labelNames = storedNames
        classes = trained.classes
      } else {
        guard trained.classes == classes else {
          throw PipelineError(
            dataPath, "has classes \(classes) but \(outputPath) was trained on \(trained.classes)")
        }
        labelNames = trained.names
      }
      network = try PipelineError.naming(outputPath) {
        try Network(from: root.openGroup("network"))
      }
      trainer = try PipelineError.naming(outputPath) {
        try ConvNetTrainer(network: network, from: root.openGroup("training"))
      }
      history = try Self.readHistory(root)
      reporter?.log("resuming \(outputPath) after epoch \(trainer.epoch)")
    } else {
      let spec = NetworkSpec(inputShape: Array(data.shape.dropFirst()), layers: config.layers)
      network = try PipelineError.naming(outputPath) { try Network(spec: spec, seed: config.seed) }
      guard classes.count <= network.classes else {
        throw PipelineError(
          dataPath,
          "has \(classes.count) classes but the network's last layer gives \(network.classes) scores"
        )
      }
      var settings = config.settings
      if let initial, let initModelPath {
        let lastCopied = try Self.copyFilters(
          from: initial, path: initModelPath, into: network, reporter: reporter)
        settings.frozenParameters = network.layers.prefix(lastCopied + 1).reduce(0) {
          $0 + $1.parameters.count
        }
        settings.frozenEpochs = config.freezeInitEpochs
      }
      trainer = try PipelineError.naming(outputPath) {
        try ConvNetTrainer(network: network, settings: settings, seed: config.seed)
      }
    }
    let indices = labels.map { classes.firstIndex(of: $0)! }
    let remaining = config.epochs - trainer.epoch
    reporter?.log(
      "train-cnn: \(labels.count) examples \(data.shape.dropFirst().map(String.init).joined(separator: "×")), \(network.parameterCount) parameters, \(remaining) epoch(s) to go"
    )
    let started = Date()
    let total = labels.count * remaining
    var examplesBefore = 0
    _ = try PipelineError.naming(outputPath) {
      try trainer.train(
        data: data, labels: indices, epochs: remaining,
        callback: { report in
          examplesBefore += labels.count
          history.append(report)
          try write(
            network: network, trainer: trainer, preprocessing: preprocessing, classes: classes,
            labelNames: labelNames, history: history)
          reporter?.log(report.line(of: config.epochs))
          try Interruption.check(
            outputPath,
            "it keeps the checkpoint of epoch \(report.epoch); continue with --resume")
        },
        progress: { done, loss in
          let elapsed = Date().timeIntervalSince(started)
          let sofar = examplesBefore + done
          reporter?.status(
            "epoch \(trainer.epoch + 1)/\(config.epochs): \(done)/\(labels.count) examples, loss \(String(format: "%.4f", loss)), left \(ProgressReporter.duration(elapsed / Double(sofar) * Double(total - sofar)))"
          )
          // Part-way through an epoch: what stands is the last epoch's checkpoint, if any.
          try Interruption.check(
            outputPath,
            trainer.epoch > 0
              ? "it keeps the checkpoint of epoch \(trainer.epoch); continue with --resume"
              : "no epoch was finished, so nothing was written")
        })
    }
    if remaining <= 0 {
      reporter?.log("\(outputPath) already has \(trainer.epoch) epoch(s); nothing to do")
    }
    return history
  }

  /// Copies CDBN layer i's filters and biases into the network's i-th convolution layer, for as
  /// many layers as both have, and returns the index of the last network layer written. Gaussian
  /// layers' 1/σ² input scaling is folded into the copy.
  @discardableResult
  static func copyFilters(
    from model: ConvolutionalDBN, path: String, into network: Network, reporter: ProgressReporter?
  ) throws -> Int {
    let convolutions = network.layers.indices.filter { network.layers[$0].kind == "conv" }
    let pairs = min(convolutions.count, model.layers.count)
    guard pairs > 0 else {
      throw PipelineError(path, "the network has no conv layer to initialise")
    }
    for i in 0..<pairs {
      guard let start = model.layers[i].convolutionStart else {
        throw PipelineError(
          path,
          "layer \(i + 1) is a \(type(of: model.layers[i]).kind) layer, whose features are not one convolution; only such layers' filters can start a CNN"
        )
      }
      do {
        try network.setFilters(
          layer: convolutions[i], weights: start.weights, bias: start.bias)
      } catch {
        throw PipelineError(
          path, "layer \(i + 1) cannot start conv layer \(convolutions[i] + 1): \(error)")
      }
    }
    reporter?.log("initialised \(pairs) conv layer(s) from \(path)")
    return convolutions[pairs - 1]
  }

  func write(
    network: Network, trainer: ConvNetTrainer, preprocessing: Preprocessing, classes: [Int],
    labelNames: [String]?, history: [EpochReport]
  ) throws {
    try HDF5File.atomicWrite(to: outputPath) { file in
      let root = file.root
      try root.setAttribute("format", "cdbn")
      try root.setAttribute("kind", "cnn")
      try root.setAttribute("format_version", 1)
      try root.setAttribute("config", config.text)
      try root.setAttribute("data", dataPath)
      if let initModelPath { try root.setAttribute("init", initModelPath) }
      if let trainLimit { try root.setAttribute("train_limit", trainLimit) }
      if let trainRows {
        try root.setAttribute("train_rows", [trainRows.lowerBound, trainRows.upperBound])
      }
      try preprocessing.save(to: root.createGroup("preprocessing"))
      try root.writeInts("classes", shape: [classes.count], classes)
      if let labelNames { try root.writeStrings(LabelNames.member, labelNames) }
      try network.save(to: root.createGroup("network"))
      try trainer.saveState(to: root.createGroup("training"))
      let h = try root.createGroup("history")
      try h.writeDoubles("loss", shape: [history.count], history.map(\.loss))
      try h.writeDoubles("accuracy", shape: [history.count], history.map(\.accuracy))
      try h.writeDoubles("seconds", shape: [history.count], history.map(\.seconds))
    }
  }

  static func readPreprocessing(_ path: String) throws -> Preprocessing {
    try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      return root.contains("preprocessing")
        ? try Preprocessing(from: root.openGroup("preprocessing")) : .none
    }
  }

  static func readHistory(_ root: HDF5Group) throws -> [EpochReport] {
    guard root.isGroup("history") else { return [] }
    let h = try root.openGroup("history")
    let loss = try h.readDoubles("loss").values
    let accuracy = try h.readDoubles("accuracy").values
    let seconds = try h.readDoubles("seconds").values
    return loss.indices.map {
      EpochReport(
        epoch: $0 + 1, loss: loss[$0], accuracy: accuracy[$0], seconds: seconds[$0],
        learningRate: 0,
        step: 0)
    }
  }
}

/// A trained CNN with what it needs to classify raw examples: preprocessing, then the network as a
/// `ConvNetClassifier` over the preprocessed pictures.
public struct TrainedCNN {
  public let network: Network
  public let classifier: ConvNetClassifier
  public let preprocessing: Preprocessing
  /// The label value of each output.
  public var classes: [Int] { classifier.classes }
  /// The name of each label value, when the training data had names.
  public let labelNames: [String]?
  /// How pictures were sized for training (the stored config's `input`), repeated on new data.
  public let sizing: ImageFolder.Sizing

  public init(path: String) throws {
    (network, classifier, preprocessing, labelNames, sizing) = try PipelineError.naming(path) {
      let root = try HDF5File(path: path, mode: .readOnly).root
      guard root.isGroup("network") else {
        throw PipelineError(path, "has no /network group (write one with cdbn train-cnn)")
      }
      let network = try Network(from: root.openGroup("network"))
      let (classes, names) = try Self.readClasses(root)
      let classifier: ConvNetClassifier
      do {
        classifier = try ConvNetClassifier(network: network, classes: classes)
      } catch {
        throw PipelineError(path, "/classes: \(error)")
      }
      let config = try CNNConfig(yaml: root.stringAttribute("config"), file: path)
      return (
        network, classifier, try CNNTraining.readPreprocessing(path), names, config.sizing
      )
    }
  }

  /// `/classes` and, when present, `/label_names` of a CNN file, checked against each other.
  static func readClasses(_ root: HDF5Group) throws -> (classes: [Int], names: [String]?) {
    let classes = try root.readInts("classes").values
    guard root.contains(LabelNames.member) else { return (classes, nil) }
    let names = try root.readStrings(LabelNames.member)
    try LabelNames.validate(names, labels: classes, path: root.file.path)
    return (classes, names)
  }

  /// The predicted label of every example.
  public func predict(_ raw: Tensor) throws -> [Int] {
    try classifier.predict(FeatureMatrix(flattening: preprocessing.apply(raw)))
  }

  /// The predicted label of every example and the probabilities [N, K] of the K `classes`
  /// (outputs beyond them, which training never used, are left out; see `ConvNetClassifier`).
  public func probabilities(_ raw: Tensor) throws -> (predicted: [Int], probabilities: [Float]) {
    try classifier.classify(FeatureMatrix(flattening: preprocessing.apply(raw)))
  }
}

/// Examples read whole into memory, optionally a random subset, with their labels, label names
/// and ids when the source has them (labels required unless `labelsRequired` is false).
struct LabelledExamples {
  let data: Tensor
  let labels: [Int]?
  let labelNames: [String]?
  let ids: [String]?

  static func load(
    _ path: String, grayscale: Bool, sizing: ImageFolder.Sizing = .original,
    selection: RowSelection, labelsRequired: Bool = true
  ) throws -> LabelledExamples {
    try PipelineError.naming(path) {
      let source = try openExamples(path: path, grayscale: grayscale, sizing: sizing)
      if labelsRequired && source.labels == nil {
        throw PipelineError(path, "has no labels; a classifier needs the class of each example")
      }
      let n = source.count
      guard n > 0 else { throw PipelineError(path, "holds no examples") }
      let rows = try selection.rows(of: n, path: path)
      let per = source.exampleShape.reduce(1, *)
      var data = Tensor(zeros: [rows.count] + source.exampleShape)
      // Read in batches, keep the chosen rows.
      var position = [Int](repeating: -1, count: n)
      for (i, r) in rows.enumerated() { position[r] = i }
      let batch = 1024
      var start = 0
      while start < n {
        let end = min(n, start + batch)
        if position[start..<end].contains(where: { $0 >= 0 }) {
          let b = try source.batch(start..<end)
          for r in start..<end where position[r] >= 0 {
            let dst = position[r] * per
            data.scalars[dst..<(dst + per)] =
              b.scalars[((r - start) * per)..<((r - start + 1) * per)]
          }
        }
        start = end
      }
      if let bad = data.firstNonFinite() {
        throw PipelineError(path, "example \(rows[bad / per]) holds NaN or infinity")
      }
      return LabelledExamples(
        data: data, labels: source.labels.map { all in rows.map { all[$0] } },
        labelNames: source.labelNames,
        ids: source.ids.map { ids in rows.map { ids[$0] } })
    }
  }
}

extension EpochReport {
  /// "epoch 3/10: loss 0.1234, training accuracy 97.50 %, 4.2 s", as the CNN's progress logs it.
  func line(of epochs: Int) -> String {
    String(
      format: "epoch %d/%d: loss %.4f, training accuracy %.2f %%, %.1f s", epoch, epochs, loss,
      100 * accuracy, seconds)
  }
}
