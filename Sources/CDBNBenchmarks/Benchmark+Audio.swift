import CDBNAudio
import CDBNModels
import CDBNNumerics
import Foundation

extension Benchmark {
  /// The audio figures, in seconds of 16 kHz audio processed per second: the front end (log power
  /// spectrogram, 20 ms window, 10 ms hop, and PCA whitening to 80 components), MFCC + Δ + ΔΔ, and
  /// feature extraction through the paper's 1-D CDBN (300 bases of length 6, pooling 3, per layer;
  /// untrained weights cost the same). The input is 10 s of synthetic voiced sound in one utterance.
  public static func runAudio(seconds: Double, print emit: (String) -> Void) throws {
    let rate = 16000
    let signal = syntheticSpeech(seconds: 10, sampleRate: rate)
    let spectrogram = try Spectrogram(sampleRate: rate)
    let frontEnd = try AudioFeatures.fit(spectrogram: spectrogram, signals: [signal])
    let frontEndRate = try audioSecondsPerSecond(signal, seconds: seconds) {
      _ = try frontEnd.map(signal)
    }
    let x = try frontEnd.tensor(signal)
    emit(
      String(
        format:
          "audio front end (log spectrogram 20 ms / 10 ms, PCA to 80 of 161): %.0f s of audio/s (%d frames of 10 s in %.2f ms), peak memory %.0f MiB",
        frontEndRate, x.shape[3], signal.duration / frontEndRate * 1000, peakMemoryMiB()))
    let mfcc = try MFCC(sampleRate: rate)
    let mfccRate = try audioSecondsPerSecond(signal, seconds: seconds) {
      _ = try mfcc.features(signal)
    }
    emit(
      String(format: "MFCC 13 + Δ + ΔΔ (25 ms / 10 ms, 40 mel bands): %.0f s of audio/s", mfccRate))
    let model = ConvolutionalDBN(layers: [
      try ConvRBM(
        visible: .gaussian, channels: 80, filters: 300, filterHeight: 1, filterWidth: 6,
        poolHeight: 1, poolWidth: 3, seed: 1),
      try ConvRBM(
        visible: .binary, channels: 300, filters: 300, filterHeight: 1, filterWidth: 6,
        poolHeight: 1, poolWidth: 3, seed: 2),
    ])
    for depth in 1...2 {
      let layerRate = try audioSecondsPerSecond(signal, seconds: seconds) {
        _ = try model.features(x, depth: depth)
      }
      emit(
        String(
          format:
            "1-D CDBN features, layer%@ (80 → 300 bases 1x6, pool 3%@) on whitened maps: %.0f s of audio/s, peak memory %.0f MiB",
          depth == 1 ? " 1" : "s 1 + 2", depth == 1 ? "" : "; 300 → 300, 1x6, pool 3", layerRate,
          peakMemoryMiB()))
    }
  }

  /// Seconds of `signal` processed per second of wall time by `body`, run for about `seconds`
  /// after one warm-up call.
  static func audioSecondsPerSecond(
    _ signal: AudioSignal, seconds: Double, _ body: () throws -> Void
  ) throws -> Double {
    try body()
    var runs = 0
    let start = Date()
    repeat {
      try body()
      runs += 1
    } while Date().timeIntervalSince(start) < seconds
    return Double(runs) * signal.duration / Date().timeIntervalSince(start)
  }

  /// A deterministic voiced sound: a 120 Hz harmonic series whose pitch and loudness drift, plus
  /// noise, so the spectrogram has speech-like structure and the PCA a full-rank covariance.
  static func syntheticSpeech(seconds: Double, sampleRate: Int) -> AudioSignal {
    var rng = RandomStream(seed: 11)
    let n = Int(seconds * Double(sampleRate))
    var samples = [Float](repeating: 0, count: n)
    var phase = 0.0
    for i in 0..<n {
      let t = Double(i) / Double(sampleRate)
      let pitch = 120 * (1 + 0.2 * sin(2 * Double.pi * 0.7 * t))
      phase += 2 * Double.pi * pitch / Double(sampleRate)
      var v = 0.0
      for h in 1...20 { v += sin(Double(h) * phase) / Double(h) }
      let loudness = 0.2 * (1.2 + sin(2 * Double.pi * 3 * t))
      samples[i] = Float(loudness * v * 0.3) + 0.01 * rng.nextNormal()
    }
    return AudioSignal(samples: samples, sampleRate: sampleRate)
  }
}
