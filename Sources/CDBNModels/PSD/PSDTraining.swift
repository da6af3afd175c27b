import CDBNNumerics

/// Hyper-parameters of PSD training: plain gradient steps on the dictionary and on the encoder.
public struct PSDTraining: Sendable, Equatable {
  /// Step on D (the energy's gradient averaged over the code positions of the batch).
  public var dictionaryLearningRate: Float = 0.01
  /// Step on the encoder's weights, gains and biases.
  public var encoderLearningRate: Float = 0.01
  /// The rates of epoch e are multiplied by learningRateDecay^e.
  public var learningRateDecay: Float = 1
  /// Training stops as diverged when the reconstruction error exceeds this multiple of the first one.
  public var divergenceFactor: Double = 1e4

  public init() {}

  public func validate() throws {
    func fail(_ m: String) -> ModelError { .invalidConfiguration("psd \(m)") }
    for (name, rate) in [
      ("dictionary_learning_rate", dictionaryLearningRate),
      ("encoder_learning_rate", encoderLearningRate),
    ] {
      guard rate > 0, rate.isFinite else { throw fail("\(name) must be positive (got \(rate))") }
    }
    guard learningRateDecay > 0, learningRateDecay <= 1 else {
      throw fail("learning_rate_decay must be in (0, 1] (got \(learningRateDecay))")
    }
    guard divergenceFactor > 1 else { throw fail("divergence_factor must exceed 1") }
  }

  /// The factor on both rates in epoch `epoch`.
  public func decay(epoch: Int) -> Float {
    LearningRateSchedule.exponential(decay: learningRateDecay).rate(base: 1, epoch: epoch)
  }
}
