/// Everything that can go wrong while building, loading or training a convolutional network.
/// Each case's description names what is wrong (and, for a spec, which layer); callers add the file.
public enum ConvNetError: Error, CustomStringConvertible, Equatable, Sendable {
  /// Layer `index` (0-based, in spec order) cannot be built: a bad setting or an impossible shape.
  case invalidLayer(index: Int, kind: String, String)
  /// A network spec that is wrong as a whole (no layers, bad input shape, too few outputs).
  case invalidSpec(String)
  /// A training setting that cannot work (batch size 0, negative rate, ...).
  case invalidSettings(String)
  /// Data, labels, weights or gradients whose shape does not fit the network.
  case shapeMismatch(String)
  /// A label outside 0..<classes.
  case invalidLabel(String)
  /// Input or parameters holding NaN or infinity.
  case nonFinite(String)
  /// Training blew up: the loss or the gradient is NaN or infinite.
  case diverged(String)
  /// A checkpoint group that is missing something or holds the wrong kind of value.
  case malformedCheckpoint(String)

  public var description: String {
    switch self {
    case .invalidLayer(let index, let kind, let m): "layer \(index) (\(kind)): \(m)"
    case .invalidSpec(let m): "invalid network: \(m)"
    case .invalidSettings(let m): "invalid training settings: \(m)"
    case .shapeMismatch(let m): "shape mismatch: \(m)"
    case .invalidLabel(let m): "invalid label: \(m)"
    case .nonFinite(let m): "not finite: \(m)"
    case .diverged(let m): "training diverged: \(m)"
    case .malformedCheckpoint(let m): "malformed checkpoint: \(m)"
    }
  }
}
