import CDBNDatasets

/// Mono audio: samples in [−1, 1] (16-bit PCM is scaled by 1/32768) at `sampleRate` Hz.
public struct AudioSignal: Sendable, Equatable {
  public var samples: [Float]
  public var sampleRate: Int

  public init(samples: [Float], sampleRate: Int) {
    self.samples = samples
    self.sampleRate = sampleRate
  }

  /// Length in seconds.
  public var duration: Double { Double(samples.count) / Double(sampleRate) }

  /// The signal at `rate` Hz (itself when it already is), converted with libsamplerate's sinc
  /// converter of `quality`.
  public func resampled(to rate: Int, quality: Resampler.Quality = .medium) throws -> AudioSignal {
    try Resampler(quality: quality).resample(self, to: rate)
  }
}

/// Sample-rate conversion through libsamplerate (band-limited sinc interpolation).
public struct Resampler: Sendable, Equatable {
  /// libsamplerate's converters: SRC_SINC_BEST_QUALITY (97 dB, slow), SRC_SINC_MEDIUM_QUALITY
  /// (97 dB over a narrower band, several times faster) and SRC_SINC_FASTEST.
  public enum Quality: String, Sendable, Equatable, CaseIterable {
    case best, medium, fastest
  }

  public var quality: Quality

  public init(quality: Quality = .medium) { self.quality = quality }

  /// `signal` at `rate` Hz; the length becomes about count × rate / signal.sampleRate.
  public func resample(_ signal: AudioSignal, to rate: Int) throws -> AudioSignal {
    guard rate > 0, signal.sampleRate > 0 else {
      throw DatasetError(
        .invalidArgument, path: "resampler",
        "cannot convert \(signal.sampleRate) Hz to \(rate) Hz: rates must be positive")
    }
    if rate == signal.sampleRate { return signal }
    let ratio = Double(rate) / Double(signal.sampleRate)
    guard ratio >= 1.0 / 256, ratio <= 256 else {
      throw DatasetError(
        .invalidArgument, path: "resampler",
        "ratio \(rate)/\(signal.sampleRate) is outside libsamplerate's 1/256...256")
    }
    switch SampleRateConversion.convert(signal.samples, ratio: ratio, quality: quality) {
    case .success(let samples): return AudioSignal(samples: samples, sampleRate: rate)
    case .failure(let failure):
      throw DatasetError(.decodeFailed, path: "resampler", "libsamplerate: \(failure.message)")
    }
  }
}
