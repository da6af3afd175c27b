import RealModule

/// How the learning rate changes with the epoch e (counted from 0): the one schedule of every
/// trainer (the CRBM's and PSD's exponential decay, the CNN's any of three). Powers are taken in
/// Double and rounded once.
public enum LearningRateSchedule: Sendable, Hashable {
  /// rate.
  case constant
  /// rate · factor^⌊e / every⌋.
  case step(every: Int, factor: Float)
  /// rate · decay^e.
  case exponential(decay: Float)

  public func rate(base: Float, epoch: Int) -> Float {
    switch self {
    case .constant: base
    case .step(let every, let factor): base * Self.power(factor, epoch / max(1, every))
    case .exponential(let decay): base * Self.power(decay, epoch)
    }
  }

  private static func power(_ x: Float, _ n: Int) -> Float {
    Float(Double.pow(Double(x), Double(n)))
  }
}
