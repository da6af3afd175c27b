import CDBNNumerics

extension FeatureLayer {
  /// Checks that a batch fits the layer: [N, C, H, W] with this layer's input channels, at least as
  /// large as the filters, and finite.
  public func validate(_ input: Tensor) throws {
    let f = filters.shape
    guard input.rank == 4, input.shape[1] == inputChannels else {
      throw ModelError.shapeMismatch(
        "\(Self.kind) expects [N, \(inputChannels), H, W], got \(input.shape)")
    }
    guard input.shape[2] >= f[2], input.shape[3] >= f[3] else {
      throw ModelError.shapeMismatch(
        "input \(input.shape[2])×\(input.shape[3]) is smaller than the \(f[2])×\(f[3]) filters")
    }
    if let i = input.firstNonFinite() {
      throw ModelError.nonFinite("input value \(input.scalars[i]) at flat index \(i)")
    }
  }
}
