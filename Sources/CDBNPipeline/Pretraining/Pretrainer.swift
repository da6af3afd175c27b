import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNStorage
import Foundation

/// Greedy layer-wise pretraining with a checkpoint after every epoch.
///
/// Layer l trains on the pooled probabilities of layers 0..<l applied to each batch. Every random
/// draw is keyed by (seed, layer, epoch, batch) or by the update counter, and the checkpoint holds
/// the trainer's whole state, so killing a run at any moment and resuming it gives the same final
/// weights as an uninterrupted run with the same seed.
///
/// Under `mpirun` every process runs this same loop on its share of each batch (`BatchShare`); rank
/// 0 alone writes the checkpoints. The weights are `==` to a single process's for any process count,
/// and a run may resume on a different one.
public final class Pretrainer {
  public let config: PretrainingConfig
  public let output: String
  public let reporter: ProgressReporter
  /// The most memory a batch may need, in bytes (see `BatchMemory`); half the machine's by default.
  public var memoryBudget = BatchMemory.defaultBudget
  /// A factor on every learning rate of the layers this run trains (1: the config's). For resuming
  /// after a divergence: the config, which resume requires unchanged, keeps its rates.
  public var learningRateScale: Float = 1
  /// The processes that train together (one without `mpirun`).
  public var processes: any ProcessGroup = SingleProcess()

  public init(
    config: PretrainingConfig, output: String, reporter: ProgressReporter = ProgressReporter()
  ) {
    self.config = config
    self.output = output
    self.reporter = reporter
  }

  /// Trains (or, with `resume`, continues) and returns the final checkpoint, also written to `output`.
  /// Without `resume` an existing file at `output` is an error rather than overwritten, unless
  /// `replace` (then the new run's first checkpoint replaces it).
  @discardableResult
  public func run(resume: Bool = false, replace: Bool = false, stopAfterEpochs: Int? = nil) throws
    -> ModelCheckpoint
  {
    // One writer: rank 0 holds the lock and writes; the others would wait on the lock forever.
    let lock =
      try processes.isLeader ? PipelineError.naming(output) { try OutputLock(for: output) } : nil
    defer { withExtendedLifetime(lock) {} }
    let exists = FileManager.default.fileExists(atPath: output) && !replace
    if exists && !resume {
      throw PipelineError(
        output,
        "already exists; pass --resume to continue it, or --force to start over and replace it")
    }
    var checkpoint: ModelCheckpoint
    if resume && exists {
      checkpoint = try ModelCheckpoint.read(from: output, kinds: config.kinds)
      guard var progress = checkpoint.progress else {
        throw PipelineError(output, "has no /training group, so there is nothing to resume")
      }
      if checkpoint.config != config.text {
        progress = try extending(checkpoint, at: progress)
        checkpoint.config = config.text
        checkpoint.progress = progress
      }
      try checkResumable(progress, layers: checkpoint.model.layers.count)
      if progress.complete {
        reporter.log(
          "\(output): training already complete (\(checkpoint.model.layers.count) layers)")
        return checkpoint
      }
    } else {
      if resume {
        reporter.log(
          "\(output) holds no checkpoint yet (a run stopped before its first epoch ended): starting from the beginning with seed \(config.seed); give the stopped run's --seed if it had one"
        )
      }
      checkpoint = ModelCheckpoint(
        config: config.text,
        model: ConvolutionalDBN(preprocessing: config.preprocessing, layers: []),
        progress: TrainingProgress(
          layer: 0, epoch: 0, step: 0, seed: config.seed, complete: false,
          worldSize: processes.size),
        history: [])
    }
    let seed = checkpoint.progress!.seed
    let source = try openTrainingData(checkpoint: &checkpoint)
    let batches = try TrainingBatches(
      source: source, path: config.data.path, preprocessing: config.preprocessing,
      patch: config.data.patch,
      limit: config.data.limit, seed: seed)
    try checkInputShape(batches.exampleShape)
    try checkMemory(batches)
    try checkWorldSize()
    var trainer: (any LayerTrainer)? = nil
    if let progress = checkpoint.progress, resume && exists {
      if progress.epoch > 0 {
        let t = try makeTrainer(
          layer: progress.layer, existing: checkpoint.model.layers[progress.layer], seed: seed,
          inputChannels: batches.exampleShape[0])
        try ModelCheckpoint.restoreTrainer(t, from: output)
        trainer = t
      }
      reporter.log("resuming \(output) at layer \(progress.layer + 1), epoch \(progress.epoch + 1)")
    }

    let work = layerWork(batches)
    var epochsRun = 0
    // Whether `output` holds a checkpoint of this run (a divergence message says so).
    var saved = resume && exists
    while let progress = checkpoint.progress, !progress.complete {
      let l = progress.layer
      let spec = config.layers[l]
      let t: any LayerTrainer
      let lower = ConvolutionalDBN(
        preprocessing: .none, layers: Array(checkpoint.model.layers.prefix(l)))
      if let trainer {
        t = trainer
      } else {
        let start =
          spec.settings.startsFromInput
          ? try startingScale(layer: l, batches: batches, lower: lower) : nil
        t = try makeTrainer(
          layer: l, existing: nil, seed: seed, inputChannels: batches.exampleShape[0],
          start: start)
        if checkpoint.model.layers.count == l { checkpoint.model.layers.append(t.currentLayer) }
      }
      trainer = t
      if checkpoint.history.count == l { checkpoint.history.append(LayerHistory()) }
      let perEpoch = try batches.batchesPerEpoch(
        batchSize: spec.schedule.batchSize, requested: spec.schedule.batchesPerEpoch)
      let inputShape = lower.outputShape(depth: l, input: batches.exampleShape) ?? []
      let share = batchShare(of: t, layer: l, inputShape: inputShape)
      var epoch = progress.epoch
      while epoch < spec.schedule.epochs {
        if let stop = stopAfterEpochs, epochsRun >= stop { return checkpoint }
        let started = Date()
        var error = 0.0
        var activation = [Float](repeating: 0, count: spec.filters)
        for b in 0..<perEpoch {
          try Interruption.check(
            output, across: processes,
            saved
              ? "\(output) keeps the last checkpoint (layer \(l + 1), \(epoch) epoch(s) done); continue with --resume"
              : "nothing was saved yet; run again (--resume then starts from the beginning)")
          // A process with no share of the batch (fewer chunks than processes) only takes part in
          // the sums.
          let input =
            share.examples.isEmpty
            ? Tensor(zeros: [0] + inputShape)
            : try lower.propagate(
              batches.batch(
                layer: l, epoch: epoch, index: b, size: spec.schedule.batchSize,
                rows: share.examples), through: l)
          let stats: TrainingStatistics
          do {
            stats = try t.train(examples: input, share: share, epoch: epoch)
          } catch let e as ModelError {
            let advice =
              saved
              ? "\(output) keeps the last checkpoint (layer \(l + 1), \(epoch) epoch(s) done); continue it with lower learning rates: --resume --learning-rate-scale 0.1"
              : "no checkpoint of this run was written yet; lower layers[\(l)]'s learning rate in the config and run again (--force replaces the file)"
            throw PipelineError(output, "layer \(l + 1): \(e). \(advice)")
          }
          error += stats.reconstructionError
          for k in 0..<activation.count { activation[k] += stats.meanActivation[k] }
          let perBatch = Date().timeIntervalSince(started) / Double(b + 1)
          let remainingBatches =
            Double(perEpoch - b - 1) + Double(perEpoch * (spec.schedule.epochs - epoch - 1))
          let layerLeft = perBatch * remainingBatches
          // Layers not started yet: this layer's time per unit of work times theirs.
          let runLeft =
            layerLeft + perBatch / max(1, work[l].perBatch)
            * work[(l + 1)...].reduce(0) { $0 + $1.perBatch * Double($1.batches) }
          reporter.status(
            "layer \(l + 1)/\(config.layers.count) epoch \(epoch + 1)/\(spec.schedule.epochs) batch \(b + 1)/\(perEpoch)  recon \(String(format: "%.4f", error / Double(b + 1)))  sparsity \(String(format: "%.4f", stats.overallActivation))  left \(ProgressReporter.duration(layerLeft))"
              + (l + 1 < config.layers.count ? " (run ≈\(ProgressReporter.duration(runLeft)))" : "")
          )
        }
        t.finishEpoch(epoch)
        epoch += 1
        epochsRun += 1
        let seconds = Date().timeIntervalSince(started)
        checkpoint.model.layers[l] = t.currentLayer
        let meanActivation = activation.map { $0 / Float(perEpoch) }
        checkpoint.history[l].reconstructionError.append(error / Double(perEpoch))
        checkpoint.history[l].meanActivation.append(meanActivation)
        checkpoint.history[l].seconds.append(seconds)
        checkpoint.history[l].sigma.append(Double(t.currentLayer.sigma))
        let layerDone = epoch >= spec.schedule.epochs
        let lastLayer = l == config.layers.count - 1
        checkpoint.progress = TrainingProgress(
          layer: layerDone && !lastLayer ? l + 1 : l, epoch: layerDone && !lastLayer ? 0 : epoch,
          step: t.step,
          seed: seed, complete: layerDone && lastLayer, worldSize: processes.size)
        // The last layer keeps its state when done, so that a longer run can continue it.
        if processes.isLeader {
          try checkpoint.write(to: output, trainer: layerDone && !lastLayer ? nil : t)
        }
        saved = true
        let mean = meanActivation.reduce(0, +) / Float(max(1, meanActivation.count))
        reporter.log(
          "layer \(l + 1) epoch \(epoch)/\(spec.schedule.epochs): reconstruction error \(String(format: "%.5f", error / Double(perEpoch))), mean activation \(String(format: "%.5f", mean)), \(String(format: "%.1f", seconds)) s"
        )
      }
      if spec.schedule.epochs == 0 || epoch >= spec.schedule.epochs {
        if l == config.layers.count - 1 {
          checkpoint.progress?.complete = true
          checkpoint.progress?.epoch = epoch
          checkpoint.progress?.worldSize = processes.size
          if processes.isLeader { try checkpoint.write(to: output, trainer: t) }
        } else if checkpoint.progress?.layer == l {
          checkpoint.progress = TrainingProgress(
            layer: l + 1, epoch: 0, step: t.step, seed: seed, complete: false,
            worldSize: processes.size)
        }
      }
      trainer = nil
    }
    return checkpoint
  }

  /// How binary layer `l` starts, from its input (see `StartingScale`): measured on the first
  /// batches of the layer's first epoch, so a run and its resume agree.
  func startingScale(layer l: Int, batches: TrainingBatches, lower: ConvolutionalDBN) throws
    -> StartingScale
  {
    let spec = config.layers[l]
    let perEpoch = try batches.batchesPerEpoch(
      batchSize: spec.schedule.batchSize, requested: spec.schedule.batchesPerEpoch)
    let inputs = try (0..<min(perEpoch, 5)).map { b in
      try lower.propagate(
        batches.batch(layer: l, epoch: 0, index: b, size: spec.schedule.batchSize), through: l)
    }
    let fanIn = (inputs.first?.shape[1] ?? 0) * spec.filterSize[0] * spec.filterSize[1]
    guard let start = StartingScale(measuring: inputs, fanIn: fanIn) else {
      throw PipelineError(
        output,
        "layer \(l + 1)'s input is all zeros on its first batches, so no σ can make it learn; check layer \(l)'s sparsity target and activation"
      )
    }
    reporter.log(
      String(
        format:
          "layer %d: input mean %.4g, rms %.4g; sigma %.3g (a unit's starting input has deviation %.3g), visible biases at the logit of each channel's mean",
        l + 1, start.inputMean, start.inputRMS, start.sigma, StartingScale.targetDeviation))
    return start
  }

  /// A trainer for layer `l`, by its kind: fresh (parameters from the seed, starting from `start`
  /// when given) or around a layer read from a checkpoint.
  func makeTrainer(
    layer l: Int, existing: (any FeatureLayer)?, seed: UInt64, inputChannels: Int,
    start: StartingScale? = nil
  ) throws -> any LayerTrainer {
    let spec = config.layers[l]
    let layerSeed = seed &+ UInt64(l + 1) &* 0x9E37_79B9_7F4A_7C15
    let channels = l == 0 ? inputChannels : config.layers[l - 1].filters
    do {
      let settings =
        learningRateScale == 1
        ? spec.settings : spec.settings.scalingLearningRates(by: learningRateScale)
      return try settings.makeTrainer(
        shape: spec.shape, inputChannels: channels, existing: existing, seed: layerSeed,
        start: start)
    } catch let e as ModelError {
      throw PipelineError(existing == nil ? config.data.path : output, "layer \(l + 1): \(e)")
    }
  }

  /// This process's share of layer `l`'s batches of inputs [C, H, W] `inputShape`. With fewer work
  /// units than processes, some processes only take part in the gathers (and say so once).
  private func batchShare(of trainer: any LayerTrainer, layer l: Int, inputShape: [Int])
    -> BatchShare
  {
    let batchSize = config.layers[l].schedule.batchSize
    let share = trainer.share(ofBatch: batchSize, inputShape: inputShape, processes: processes)
    if share.units.count < processes.size {
      reporter.log(
        "layer \(l + 1): its batch of \(batchSize) is \(share.units.count) chunk(s) of work, so \(processes.size - share.units.count) of the \(processes.size) processes wait; results are unchanged"
      )
    }
    return share
  }

  /// Throws, before any work, when a layer's batch is smaller than the number of processes.
  private func checkWorldSize() throws {
    for (i, layer) in config.layers.enumerated() where layer.schedule.batchSize < processes.size {
      throw PipelineError(
        config.data.path,
        "layers[\(i)].batch_size is \(layer.schedule.batchSize), smaller than the \(processes.size) processes; each process needs at least one example of every batch"
      )
    }
  }

  /// The progress from which a run saved with another config continues under this one, or an error
  /// when the change is more than a continuation: only the epochs of the layer in progress (no
  /// fewer than it has done) and of later layers may change, and layers may be added at the end.
  /// A complete run whose last layer gets more epochs, or that gets more layers, is reopened.
  private func extending(_ saved: ModelCheckpoint, at progress: TrainingProgress) throws
    -> TrainingProgress
  {
    let stored = try PretrainingConfig(yaml: saved.config, file: output, kinds: config.kinds)
    func refuse(_ why: String) -> PipelineError {
      PipelineError(
        output,
        "was trained with a different config: \(why). Resume with the stored config (cdbn pretrain --out \(output) --resume, no CONFIG), or change only epochs and add layers"
      )
    }
    let l = progress.layer
    guard config.layers.count >= stored.layers.count else {
      throw refuse(
        "the new config has \(config.layers.count) layer(s), the run \(stored.layers.count)")
    }
    guard
      try ConfigOverrides.sameExceptEpochs(
        saved.config, config.text, layers: stored.layers.count, file: output)
    else {
      throw refuse("keys other than epochs differ (cdbn inspect \(output) shows the stored config)")
    }
    for i in 0..<l where config.layers[i].schedule.epochs != stored.layers[i].schedule.epochs {
      throw refuse(
        "layer \(i + 1) is done and later layers trained on it, so its epochs cannot change")
    }
    guard config.layers[l].schedule.epochs >= progress.epoch else {
      throw refuse(
        "layer \(l + 1) has done \(progress.epoch) epoch(s), more than the new config's \(config.layers[l].schedule.epochs)"
      )
    }
    var next = progress
    // A finished run reopens at its last layer when that layer gets more epochs, else at a layer
    // added after it; with neither (the same config, written differently) it stays finished.
    if progress.complete && config.layers[l].schedule.epochs > progress.epoch {
      next.complete = false
    } else if progress.complete && config.layers.count > l + 1 {
      (next.complete, next.layer, next.epoch) = (false, l + 1, 0)
    }
    reporter.log(
      "\(output): continuing with the new config (its epochs and layers extend the saved run's); the file will store it"
    )
    return next
  }

  /// Throws unless `progress` (as read from `output`, possibly edited by hand) is a point this
  /// config's run can have reached with `layers` layers saved.
  private func checkResumable(_ progress: TrainingProgress, layers: Int) throws {
    let l = progress.layer
    guard config.layers.indices.contains(l) else {
      throw PipelineError(
        output, "/training says layer \(l + 1), but the config has \(config.layers.count) layer(s)")
    }
    let epochs = config.layers[l].schedule.epochs
    guard (0...epochs).contains(progress.epoch), progress.step >= 0 else {
      throw PipelineError(
        output,
        "/training says epoch \(progress.epoch) and step \(progress.step) of layer \(l + 1), which has \(epochs) epoch(s)"
      )
    }
    // A layer with epochs done is saved; one about to start may not be yet.
    guard layers == l + 1 || (layers == l && progress.epoch == 0) || progress.complete else {
      throw PipelineError(
        output,
        "/training says layer \(l + 1), epoch \(progress.epoch), but /layers holds \(layers)")
    }
  }

  /// Throws, before anything large is allocated, when the largest batch (or, with patches, one whole
  /// preprocessed picture) would need more than `memoryBudget` bytes.
  private func checkMemory(_ batches: TrainingBatches) throws {
    let layers = config.layers.map { l in
      BatchMemory.Layer(filters: l.filters, pooling: l.pooling) {
        l.outputSize(height: $0, width: $1)
      }
    }
    let batch = config.layers.map(\.schedule.batchSize).max() ?? 1
    var needed = BatchMemory.bytes(example: batches.exampleShape, batch: batch, layers: layers)
    // A crop is cut from a whole preprocessed picture: its planes and the FFT's complex copies.
    if config.data.patch != nil {
      needed = max(
        needed, 6 * BatchMemory.bytes(example: batches.source.exampleShape, batch: 1, layers: []))
    }
    if let refusal = BatchMemory.refusal(
      needed: needed, budget: memoryBudget, example: batches.source.exampleShape, batch: batch,
      advice: "use smaller pictures, a data.patch or a smaller batch_size")
    {
      throw PipelineError(config.data.path, refusal)
    }
  }

  /// Per layer, the multiply-adds of one valid convolution of a batch (input positions × channels ×
  /// filters × filter area, the shape of every pass of its training) and its batches over the run:
  /// the proxy by which the time left of layers not started yet is estimated.
  private func layerWork(_ batches: TrainingBatches) -> [(perBatch: Double, batches: Int)] {
    var (channels, h, w) = (
      batches.exampleShape[0], batches.exampleShape[1], batches.exampleShape[2]
    )
    var out: [(perBatch: Double, batches: Int)] = []
    for layer in config.layers {
      let f = layer.filterSize
      let positions = Double(max(1, h - f[0] + 1) * max(1, w - f[1] + 1))
      // A schedule that cannot run is reported when its layer starts, not by this estimate.
      let perEpoch =
        (try? batches.batchesPerEpoch(
          batchSize: layer.schedule.batchSize, requested: layer.schedule.batchesPerEpoch)) ?? 0
      out.append(
        (
          Double(layer.schedule.batchSize) * positions
            * Double(channels * layer.filters * f[0] * f[1]),
          perEpoch * layer.schedule.epochs
        ))
      (h, w) = layer.outputSize(height: h, width: w) ?? (1, 1)
      channels = layer.filters
    }
    return out
  }

  /// Throws unless examples of `shape` [C, H, W] reach every layer at least as large as its filters.
  private func checkInputShape(_ shape: [Int]) throws {
    if let (i, h, w) = config.firstTooSmallLayer(height: shape[1], width: shape[2]) {
      let f = config.layers[i].filterSize
      throw PipelineError(
        config.data.path,
        "examples reach layer \(i + 1) as \(h)×\(w) maps, smaller than its \(f[0])×\(f[1]) filters")
    }
  }
}
