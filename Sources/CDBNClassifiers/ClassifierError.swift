/// Everything that can go wrong while fitting, using, saving or loading a classifier.
/// Each case's description names what is wrong; callers add the file.
public enum ClassifierError: Error, CustomStringConvertible, Equatable {
  /// Training data that cannot be used: label count ≠ row count, one class only, no rows, ...
  case invalidInput(String)
  /// A setting that cannot work (C ≤ 0, an unknown classifier name, too many folds, ...),
  /// including what LIBLINEAR's and LIBSVM's own parameter checks reject.
  case invalidParameter(String)
  /// Features whose width does not fit the model.
  case shapeMismatch(String)
  /// Features holding NaN or infinity.
  case nonFinite(String)
  /// `predict` or `save` on a classifier that has not been fitted or loaded.
  case notFitted(String)
  /// The solver gave up (a C library returned no model, or the optimiser produced NaN).
  case trainingFailed(String)
  /// A saved classifier group that is missing something or holds the wrong kind of value.
  case malformedModel(String)

  public var description: String {
    switch self {
    case .invalidInput(let m): "invalid input: \(m)"
    case .invalidParameter(let m): "invalid parameter: \(m)"
    case .shapeMismatch(let m): "shape mismatch: \(m)"
    case .nonFinite(let m): "not finite: \(m)"
    case .notFitted(let m): "not fitted: \(m)"
    case .trainingFailed(let m): "training failed: \(m)"
    case .malformedModel(let m): "malformed classifier: \(m)"
    }
  }

  /// The same error with `context: ` put before its message.
  func adding(_ context: String) -> ClassifierError {
    switch self {
    case .invalidInput(let m): .invalidInput("\(context): \(m)")
    case .invalidParameter(let m): .invalidParameter("\(context): \(m)")
    case .shapeMismatch(let m): .shapeMismatch("\(context): \(m)")
    case .nonFinite(let m): .nonFinite("\(context): \(m)")
    case .notFitted(let m): .notFitted("\(context): \(m)")
    case .trainingFailed(let m): .trainingFailed("\(context): \(m)")
    case .malformedModel(let m): .malformedModel("\(context): \(m)")
    }
  }
}
