import Foundation

extension DeconvLayer {
  /// What `cdbn inspect` adds for a deconvolutional layer: pooling function, objective, continuation,
  /// connectivity.
  public var details: String {
    let s = inference
    let table = connectivity
    let connectivity =
      table.isFull ? "full" : table.fanIn.map { "random, fan-in \($0)" } ?? "custom"
    return String(
      format:
        ", pooling function %@, lambda %g, p %g, beta %g×%g^t for %d steps, %d CG iterations per z-step, connectivity %@",
      poolingFunction.rawValue, s.lambda, s.p, s.betaStart, s.betaGrowth,
      s.continuationSteps, s.cgIterations, connectivity)
  }
}
