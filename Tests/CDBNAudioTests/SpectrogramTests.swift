import CDBNDatasets
import CDBNNumerics
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct SpectrogramTests {
  /// Naive DFT in Double of the same Hann-windowed, zero-padded frames.
  static func naivePower(_ x: [Float], _ s: Spectrogram) -> [[Double]] {
    let window = (0..<s.windowLength).map {
      0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(s.windowLength))
    }
    let pad = s.center ? s.fftSize / 2 : 0
    return (0..<s.frameCount(sampleCount: x.count)).map { t in
      (0..<s.binCount).map { k in
        var re = 0.0
        var im = 0.0
        for n in 0..<s.windowLength {
          let i = t * s.hopLength - pad + n
          guard i >= 0 && i < x.count else { continue }
          let v = Double(x[i]) * window[n]
          let angle = -2 * Double.pi * Double(k * n) / Double(s.fftSize)
          re += v * cos(angle)
          im += v * sin(angle)
        }
        return re * re + im * im
      }
    }
  }

  @Test func matchesANaiveDFT() throws {
    let signal = try AudioFile.read(path: SharedData.sa1)
    let x = Array(signal.samples[8000..<12000])
    for s in [
      try Spectrogram(),  // 20 ms / 10 ms at 16 kHz: 320-point FFT
      try Spectrogram(sampleRate: 16000, windowLength: 300, hopLength: 128, fftSize: 512),
      try Spectrogram(sampleRate: 16000, windowLength: 400, hopLength: 160, center: true),
    ] {
      let fast = s.power(x)
      let fastLog = s.logPower(x)
      let slow = Self.naivePower(x, s)
      #expect(fast.shape == [slow.count, s.binCount])
      var worstPower = 0.0
      var worstLog = 0.0
      for t in 0..<slow.count {
        let peak = slow[t].max()!
        for k in 0..<s.binCount {
          let i = t * s.binCount + k
          worstPower = max(worstPower, abs(Double(fast.scalars[i]) - slow[t][k]) / peak)
          worstLog = max(
            worstLog, abs(Double(fastLog.scalars[i]) - log(slow[t][k] + Double(s.epsilon))))
        }
      }
      // Single precision against Double: errors are ~1e-7 of the frame's peak power, so the log of
      // the weakest bins (10⁻⁶ of the peak) moves by up to a few 10⁻³.
      #expect(
        worstPower < 1e-5,
        "window \(s.windowLength), fft \(s.fftSize): max |Δ|/peak = \(worstPower)")
      #expect(
        worstLog < 2e-2, "window \(s.windowLength), fft \(s.fftSize): max |Δ log| = \(worstLog)")
    }
  }

  @Test func paperSettingsAndFrameCounts() throws {
    let s = try Spectrogram()
    #expect(s.windowLength == 320 && s.hopLength == 160 && s.fftSize == 320 && s.binCount == 161)
    #expect(s.frameCount(sampleCount: 51610) == 321)
    #expect(s.frameCount(sampleCount: 319) == 0)
    #expect(s.frameCount(sampleCount: 320) == 1)
    #expect(s.frame(ofSample: 2200) == 13)
    let signal = try AudioFile.read(path: SharedData.sa1)
    let spectrum = try s.logPower(signal)
    #expect(spectrum.shape == [321, 161])
    #expect(spectrum.firstNonFinite() == nil)
    #expect(throws: DatasetError.self) {
      _ = try s.logPower(AudioSignal(samples: [0], sampleRate: 8000))
    }
    #expect(throws: DatasetError.self) {
      _ = try Spectrogram(sampleRate: 16000, windowLength: 0, hopLength: 1)
    }
  }
}
