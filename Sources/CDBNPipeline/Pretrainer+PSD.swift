import CDBNModels

extension Pretrainer {
  /// A PSD trainer for a `kind: psd` layer: fresh (dictionary from the seed) or around a layer read
  /// from a checkpoint.
  func makePSDTrainer(
    spec: PretrainingConfig.Layer, existing: PSDLayer?, channels: Int, seed: UInt64
  ) throws -> PSDTrainer {
    guard let psd = spec.psd else {
      throw PipelineError(output, "a psd layer needs its psd settings")
    }
    let layer =
      try existing
      ?? PSDLayer(
        channels: channels, filters: spec.filters, filterHeight: spec.filterSize[0],
        filterWidth: spec.filterSize[1], settings: psd.settings, stage: psd.stage, seed: seed)
    return try PSDTrainer(layer: layer, settings: psd.training)
  }
}
