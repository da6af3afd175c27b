/// Everything that can go wrong while building, loading or training a model.
/// Each case's description names what is wrong; callers add the file.
public enum ModelError: Error, CustomStringConvertible, Equatable {
  /// A setting that cannot work (negative rate, filter larger than input, ...).
  case invalidConfiguration(String)
  /// Input whose shape does not fit the layer.
  case shapeMismatch(String)
  /// Input or parameters holding NaN or infinity.
  case nonFinite(String)
  /// Training blew up: NaN, infinity or an exploding reconstruction error.
  case diverged(String)
  /// A checkpoint group that is missing something or holds the wrong kind of value.
  case malformedCheckpoint(String)

  public var description: String {
    switch self {
    case .invalidConfiguration(let m): "invalid configuration: \(m)"
    case .shapeMismatch(let m): "shape mismatch: \(m)"
    case .nonFinite(let m): "not finite: \(m)"
    case .diverged(let m): "training diverged: \(m)"
    case .malformedCheckpoint(let m): "malformed checkpoint: \(m)"
    }
  }
}
