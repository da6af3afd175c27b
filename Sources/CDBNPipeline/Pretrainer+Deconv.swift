import CDBNModels

extension Pretrainer {
  /// A trainer for deconvolutional layer `l`: fresh or around a layer read from a checkpoint.
  func makeDeconvTrainer(
    layer l: Int, existing: (any FeatureLayer)?, channels: Int, seed: UInt64
  ) throws -> any LayerTrainer {
    let settings = config.layers[l].deconv ?? DeconvSettings()
    let layer =
      try existingLayer(existing, as: DeconvLayer.self, layer: l)
      ?? freshDeconvLayer(l, settings: settings, channels: channels, seed: seed)
    return try DeconvTrainer(layer: layer, filterIterations: settings.filterIterations)
  }

  /// Layer `l` with its filters and any random connectivity table drawn from the layer's seed.
  private func freshDeconvLayer(
    _ l: Int, settings: DeconvSettings, channels: Int, seed: UInt64
  ) throws -> DeconvLayer {
    let spec = config.layers[l]
    do {
      let table = try settings.fanIn.map {
        try ConnectivityTable.random(maps: spec.filters, channels: channels, fanIn: $0, seed: seed)
      }
      return try DeconvLayer(
        channels: channels, maps: spec.filters, filterHeight: spec.filterSize[0],
        filterWidth: spec.filterSize[1], connectivity: table, inference: settings.inference,
        pooling: settings.poolingFunction, poolHeight: spec.pooling[0],
        poolWidth: spec.pooling[1], seed: seed)
    } catch let e as ModelError {
      throw PipelineError(config.data.path, "layer \(l + 1): \(e)")
    }
  }
}
