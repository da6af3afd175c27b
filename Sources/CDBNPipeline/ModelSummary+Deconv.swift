import CDBNModels
import Foundation

extension ModelSummary {
  /// What `cdbn inspect` adds for a deconvolutional layer: pooling function, objective, continuation,
  /// connectivity.
  static func details(of layer: DeconvLayer) -> String {
    let s = layer.inference
    let table = layer.connectivity
    let connectivity =
      table.isFull ? "full" : table.fanIn.map { "random, fan-in \($0)" } ?? "custom"
    return String(
      format:
        ", pooling function %@, lambda %g, p %g, beta %g×%g^t for %d steps, %d CG iterations per z-step, connectivity %@",
      layer.poolingFunction.rawValue, s.lambda, s.p, s.betaStart, s.betaGrowth,
      s.continuationSteps, s.cgIterations, connectivity)
  }
}
