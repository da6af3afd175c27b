import CDBNDatasets
import CDBNNumerics
import Foundation

/// Mel-frequency cepstral coefficients with Δ and ΔΔ: the baseline speech features (13 + 13 + 13 = 39).
///
/// The defaults follow librosa 0.11's `librosa.feature.mfcc` so the two agree (tested):
/// 25 ms periodic-Hann frames every 10 ms with `center` zero padding (librosa's `center=True`,
/// `pad_mode="constant"`), power spectrum, 40 Slaney-scale mel filters with Slaney area
/// normalisation over 0...rate/2, 10·log10(max(E, 10⁻¹⁰)) floored at its maximum − 80 dB
/// (`power_to_db(top_db=80)`), orthonormal DCT-II, first 13 coefficients. Δ and ΔΔ are librosa's
/// `feature.delta` (Savitzky–Golay derivative over 9 frames; at the edges the polynomial fitted to
/// the first or last 9 frames, `mode="interp"`). librosa defaults to 128 mel bands, which leaves
/// empty filters with a 400-point FFT; 40 is the usual speech setting and is passed to librosa in
/// the comparison.
public struct MFCC: Sendable, Equatable {
  public let spectrogram: Spectrogram
  public let filterbank: MelFilterbank
  public let coefficientCount: Int
  /// The log mel energies are floored at their maximum minus this many dB; nil for no floor.
  public let topDecibels: Float?
  /// Frames in the Δ window (odd, ≥ 3).
  public let deltaWidth: Int

  public init(
    sampleRate: Int = 16000, windowSeconds: Double = 0.025, hopSeconds: Double = 0.010,
    fftSize: Int? = nil, melBands: Int = 40, coefficients: Int = 13,
    scale: MelFilterbank.Scale = .slaney, topDecibels: Float? = 80, deltaWidth: Int = 9
  ) throws {
    let spectrogram = try Spectrogram(
      sampleRate: sampleRate, windowSeconds: windowSeconds, hopSeconds: hopSeconds,
      fftSize: fftSize, epsilon: 0, center: true)
    guard coefficients >= 1, coefficients <= melBands, deltaWidth >= 3, deltaWidth % 2 == 1,
      topDecibels.map({ $0 > 0 && $0.isFinite }) ?? true
    else {
      throw DatasetError(
        .invalidArgument, path: "MFCC",
        "invalid settings: \(coefficients) coefficients of \(melBands) bands, Δ width \(deltaWidth) (odd, ≥ 3)"
      )
    }
    self.spectrogram = spectrogram
    self.filterbank = try MelFilterbank(
      sampleRate: sampleRate, fftSize: spectrogram.fftSize, bands: melBands, scale: scale,
      slaneyNormalization: scale == .slaney)
    self.coefficientCount = coefficients
    self.topDecibels = topDecibels
    self.deltaWidth = deltaWidth
  }

  /// Static cepstra [T, coefficients] of samples at the configured rate.
  public func cepstra(_ samples: [Float]) throws -> Tensor {
    let mel = try filterbank.apply(spectrogram.power(samples))
    let t = mel.shape[0]
    let m = filterbank.bandCount
    var logMel = mel.scalars.map { 10 * log10(max($0, 1e-10)) }
    if let top = topDecibels, let peak = logMel.max() {
      let floor = peak - top
      for i in 0..<logMel.count where logMel[i] < floor { logMel[i] = floor }
    }
    let c = coefficientCount
    let dct = Self.dctMatrix(coefficients: c, inputs: m)
    var out = [Float](repeating: 0, count: t * c)
    if t == 0 { return Tensor(shape: [0, c], scalars: []) }
    logMel.withUnsafeBufferPointer { x in
      dct.withUnsafeBufferPointer { d in
        out.withUnsafeMutableBufferPointer { o in
          BLAS.sgemm(
            .none, .transposed, m: t, n: c, k: m, alpha: 1, a: x.baseAddress!, lda: m,
            b: d.baseAddress!, ldb: m, beta: 0, c: o.baseAddress!, ldc: c)
        }
      }
    }
    return Tensor(shape: [t, c], scalars: out)
  }

  /// Cepstra, Δ and ΔΔ side by side: [T, 3·coefficients] (39 by default).
  public func features(_ signal: AudioSignal) throws -> Tensor {
    guard signal.sampleRate == spectrogram.sampleRate else {
      throw DatasetError(
        .invalidArgument, path: "MFCC",
        "signal is at \(signal.sampleRate) Hz, MFCC set up for \(spectrogram.sampleRate) Hz; resample it first"
      )
    }
    let c = try cepstra(signal.samples)
    let d1 = Self.delta(c, order: 1, width: deltaWidth)
    let d2 = Self.delta(c, order: 2, width: deltaWidth)
    let t = c.shape[0]
    let k = coefficientCount
    var out = [Float](repeating: 0, count: t * 3 * k)
    for i in 0..<t {
      for j in 0..<k {
        out[i * 3 * k + j] = c.scalars[i * k + j]
        out[i * 3 * k + k + j] = d1.scalars[i * k + j]
        out[i * 3 * k + 2 * k + j] = d2.scalars[i * k + j]
      }
    }
    return Tensor(shape: [t, 3 * k], scalars: out)
  }

  /// First (order 1) or second (order 2) time derivative of `x` [T, C] along T, as librosa's
  /// `feature.delta(width:order:mode="interp")`: the derivative of the least-squares polynomial of
  /// degree `order` through the `width` frames around each frame; the first and last width/2 frames
  /// use the window at the edge. With fewer than `width` frames the window shrinks to the largest
  /// odd count available (≥ 3); with fewer than 3 frames the result is zero.
  public static func delta(_ x: Tensor, order: Int, width: Int = 9) -> Tensor {
    precondition(x.rank == 2 && (order == 1 || order == 2))
    let t = x.shape[0]
    let c = x.shape[1]
    var out = Tensor(zeros: [t, c])
    var w = min(width, t % 2 == 1 ? t : t - 1)
    if w < 3 { return out }
    w = max(3, w)
    let half = w / 2
    let u = (-half...half).map(Double.init)
    var coefficients: [Double]
    if order == 1 {
      let s = u.reduce(0) { $0 + $1 * $1 }
      coefficients = u.map { $0 / s }
    } else {
      let meanSquare = u.reduce(0) { $0 + $1 * $1 } / Double(w)
      let centred = u.map { $0 * $0 - meanSquare }
      let s = centred.reduce(0) { $0 + $1 * $1 }
      coefficients = centred.map { 2 * $0 / s }
    }
    for i in 0..<t {
      let centre = min(max(i, half), t - 1 - half)
      for j in 0..<c {
        var sum = 0.0
        for (o, a) in coefficients.enumerated() {
          sum += a * Double(x.scalars[(centre - half + o) * c + j])
        }
        out.scalars[i * c + j] = Float(sum)
      }
    }
    return out
  }

  /// Rows k of the orthonormal DCT-II: √(2/M)·cos(πk(2m+1)/(2M)), row 0 scaled by 1/√2.
  static func dctMatrix(coefficients: Int, inputs m: Int) -> [Float] {
    var d = [Float](repeating: 0, count: coefficients * m)
    for k in 0..<coefficients {
      let scale = k == 0 ? (1 / Double(m)).squareRoot() : (2 / Double(m)).squareRoot()
      for i in 0..<m {
        d[k * m + i] = Float(scale * cos(Double.pi * Double(k) * Double(2 * i + 1) / Double(2 * m)))
      }
    }
    return d
  }
}
