import CDBNDatasets
import CDBNNumerics
import Foundation

/// Short-time power spectra of a signal (FFTW, single precision).
///
/// Frame t holds samples [t·hop, t·hop + window) times a periodic Hann window, zero-padded to
/// `fftSize`; its bins k = 0...fftSize/2 are |X[k]|² with X[k] = Σ_n x[n] e^(−2πikn/fftSize). With
/// `center` the signal is first padded with fftSize/2 zeros on each side (librosa's `center=True`),
/// so frame t is centred on sample t·hop. The defaults are Lee et al.'s (2009): 20 ms window,
/// 10 ms hop, natural log of the power plus ε.
public struct Spectrogram: Sendable, Equatable {
  public var sampleRate: Int
  /// Window length in samples (320 for 20 ms at 16 kHz).
  public var windowLength: Int
  /// Hop in samples (160 for 10 ms at 16 kHz).
  public var hopLength: Int
  /// FFT length ≥ windowLength (the window length unless given).
  public var fftSize: Int
  /// Added to the power before the log.
  public var epsilon: Float
  /// Pad fftSize/2 zeros on each side first.
  public var center: Bool

  public init(
    sampleRate: Int = 16000, windowSeconds: Double = 0.020, hopSeconds: Double = 0.010,
    fftSize: Int? = nil, epsilon: Float = 1e-10, center: Bool = false
  ) throws {
    let window = Int((windowSeconds * Double(sampleRate)).rounded())
    let hop = Int((hopSeconds * Double(sampleRate)).rounded())
    try self.init(
      sampleRate: sampleRate, windowLength: window, hopLength: hop, fftSize: fftSize,
      epsilon: epsilon, center: center)
  }

  public init(
    sampleRate: Int, windowLength: Int, hopLength: Int, fftSize: Int? = nil,
    epsilon: Float = 1e-10, center: Bool = false
  ) throws {
    let n = fftSize ?? windowLength
    guard sampleRate > 0, windowLength >= 2, hopLength >= 1, n >= windowLength, n <= 1 << 20,
      epsilon >= 0, epsilon.isFinite
    else {
      throw DatasetError(
        .invalidArgument, path: "spectrogram",
        "invalid settings: rate \(sampleRate) Hz, window \(windowLength), hop \(hopLength), FFT \(n), ε \(epsilon) (need window ≥ 2, hop ≥ 1, FFT ≥ window, ε ≥ 0)"
      )
    }
    self.sampleRate = sampleRate
    self.windowLength = windowLength
    self.hopLength = hopLength
    self.fftSize = n
    self.epsilon = epsilon
    self.center = center
  }

  /// fftSize/2 + 1.
  public var binCount: Int { fftSize / 2 + 1 }

  /// Frames of a signal of `sampleCount` samples: 1 + n/hop with `center`, else
  /// 1 + (n − window)/hop (0 when the signal is shorter than one window).
  public func frameCount(sampleCount n: Int) -> Int {
    if center { return 1 + n / hopLength }
    return n >= windowLength ? 1 + (n - windowLength) / hopLength : 0
  }

  /// The frame a sample falls in for segment alignment: sample / hop.
  public func frame(ofSample sample: Int) -> Int { sample / hopLength }

  /// Power spectra [frames, binCount].
  public func power(_ samples: [Float]) -> Tensor {
    let frames = frameCount(sampleCount: samples.count)
    let pad = center ? fftSize / 2 : 0
    let window = Self.hannWindow(windowLength)
    var buffer = [Float](repeating: 0, count: frames * fftSize)
    for t in 0..<frames {
      let start = t * hopLength - pad
      for i in 0..<windowLength {
        let s = start + i
        if s >= 0 && s < samples.count { buffer[t * fftSize + i] = samples[s] * window[i] }
      }
    }
    let power = Fourier.powerSpectra(buffer, count: frames, length: fftSize)
    return Tensor(shape: [frames, binCount], scalars: power)
  }

  /// log(|X|² + ε) [frames, binCount].
  public func logPower(_ samples: [Float]) -> Tensor {
    var p = power(samples)
    let eps = epsilon
    for i in 0..<p.count { p.scalars[i] = Foundation.log(p.scalars[i] + eps) }
    return p
  }

  /// log(|X|² + ε) of a signal, which must be at `sampleRate`.
  public func logPower(_ signal: AudioSignal) throws -> Tensor {
    guard signal.sampleRate == sampleRate else {
      throw DatasetError(
        .invalidArgument, path: "spectrogram",
        "signal is at \(signal.sampleRate) Hz but the spectrogram is set up for \(sampleRate) Hz; resample it first"
      )
    }
    return logPower(signal.samples)
  }

  /// The periodic Hann window 0.5 − 0.5·cos(2πn/N), n = 0..<N (scipy's `hann(N, sym=False)`, librosa's).
  public static func hannWindow(_ n: Int) -> [Float] {
    (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
  }
}
