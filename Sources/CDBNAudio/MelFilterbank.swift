import CDBNDatasets
import CDBNNumerics
import Foundation

/// Triangular mel filters over the bins of a power spectrum, computed as librosa's
/// `librosa.filters.mel` (float64, then float32).
///
/// Scales: `.slaney` (librosa's default, Slaney's Auditory Toolbox: linear 200/3 Hz per mel below
/// 1 kHz, logarithmic above with 27 mels per factor 6.4) and `.htk` (2595·log10(1 + f/700)).
/// With `slaneyNormalization` each filter is divided by its width in Hz (×2), so filters have equal
/// area (librosa's `norm="slaney"`); without it every filter peaks at 1 (HTK).
public struct MelFilterbank: Sendable, Equatable {
  public enum Scale: String, Sendable, Equatable { case slaney, htk }

  public let sampleRate: Int
  public let fftSize: Int
  public let bandCount: Int
  /// [bandCount, fftSize/2 + 1], row-major.
  public let weights: [Float]

  public init(
    sampleRate: Int, fftSize: Int, bands: Int, minFrequency: Double = 0,
    maxFrequency: Double? = nil, scale: Scale = .slaney, slaneyNormalization: Bool = true
  ) throws {
    let fmax = maxFrequency ?? Double(sampleRate) / 2
    guard sampleRate > 0, fftSize >= 2, bands >= 1, minFrequency >= 0, fmax > minFrequency,
      fmax <= Double(sampleRate) / 2 + 1e-9
    else {
      throw DatasetError(
        .invalidArgument, path: "mel filterbank",
        "invalid settings: rate \(sampleRate) Hz, FFT \(fftSize), \(bands) bands, \(minFrequency)...\(fmax) Hz"
      )
    }
    let bins = fftSize / 2 + 1
    let fftFrequencies = (0..<bins).map { Double($0) * Double(sampleRate) / Double(fftSize) }
    let lowMel = Self.mel(minFrequency, scale: scale)
    let highMel = Self.mel(fmax, scale: scale)
    let melPoints = (0..<(bands + 2)).map {
      Self.hertz(lowMel + (highMel - lowMel) * Double($0) / Double(bands + 1), scale: scale)
    }
    var w = [Float](repeating: 0, count: bands * bins)
    for m in 0..<bands {
      let lowerWidth = melPoints[m + 1] - melPoints[m]
      let upperWidth = melPoints[m + 2] - melPoints[m + 1]
      let norm = slaneyNormalization ? 2 / (melPoints[m + 2] - melPoints[m]) : 1
      for k in 0..<bins {
        let lower = (fftFrequencies[k] - melPoints[m]) / lowerWidth
        let upper = (melPoints[m + 2] - fftFrequencies[k]) / upperWidth
        w[m * bins + k] = Float(max(0, min(lower, upper)) * norm)
      }
    }
    self.sampleRate = sampleRate
    self.fftSize = fftSize
    self.bandCount = bands
    self.weights = w
  }

  /// Band energies [T, bands] of power spectra [T, fftSize/2 + 1].
  public func apply(_ power: Tensor) throws -> Tensor {
    let bins = fftSize / 2 + 1
    guard power.rank == 2, power.shape[1] == bins else {
      throw DatasetError(
        .badShape, path: "mel filterbank", "expects power spectra [T, \(bins)], got \(power.shape)")
    }
    let t = power.shape[0]
    var out = [Float](repeating: 0, count: t * bandCount)
    if t == 0 { return Tensor(shape: [0, bandCount], scalars: []) }
    power.scalars.withUnsafeBufferPointer { p in
      weights.withUnsafeBufferPointer { w in
        out.withUnsafeMutableBufferPointer { o in
          BLAS.sgemm(
            .none, .transposed, m: t, n: bandCount, k: bins, alpha: 1, a: p.baseAddress!,
            lda: bins, b: w.baseAddress!, ldb: bins, beta: 0, c: o.baseAddress!, ldc: bandCount)
        }
      }
    }
    return Tensor(shape: [t, bandCount], scalars: out)
  }

  /// Hertz to mels.
  public static func mel(_ hz: Double, scale: Scale) -> Double {
    switch scale {
    case .htk: return 2595 * log10(1 + hz / 700)
    case .slaney:
      let linear = hz / (200.0 / 3)
      return hz >= 1000 ? 15 + log(hz / 1000) / (log(6.4) / 27) : linear
    }
  }

  /// Mels to hertz.
  public static func hertz(_ mel: Double, scale: Scale) -> Double {
    switch scale {
    case .htk: return 700 * (pow(10, mel / 2595) - 1)
    case .slaney:
      return mel >= 15 ? 1000 * exp((log(6.4) / 27) * (mel - 15)) : mel * (200.0 / 3)
    }
  }
}
