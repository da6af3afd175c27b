import CDBNDatasets
import CDBNNumerics
import CDBNStorage

/// Turns utterances into the CDBN's input: the log spectrogram, PCA-whitened, as a tensor
/// [1, components, 1, frames]: channels = PCA components, height 1, width = time. This is how audio
/// goes through the same code path as images (a 1-D convolutional RBM has filters 1 × length).
///
/// Saved into an HDF5 group (a model checkpoint's `/preprocessing`): attributes `kind` =
/// "spectrogram+pca", `sample_rate`, `window_length`, `hop_length`, `fft_size` (samples), `center`
/// (0 or 1), `log_epsilon`; the whitening in the subgroup `pca` (see `PCAWhitening`).
public struct AudioFeatures: Sendable, Equatable {
  public static let kind = "spectrogram+pca"

  public let spectrogram: Spectrogram
  public let whitening: PCAWhitening

  public init(spectrogram: Spectrogram, whitening: PCAWhitening) throws {
    guard whitening.inputDimension == spectrogram.binCount else {
      throw DatasetError(
        .badShape, path: "audio features",
        "whitening expects \(whitening.inputDimension) bins, the spectrogram has \(spectrogram.binCount)"
      )
    }
    self.spectrogram = spectrogram
    self.whitening = whitening
  }

  /// Fits the whitening on the log spectrograms of `signals` (Lee et al.: 80 components), taking at
  /// most `maxFrames` frames in total (all when nil).
  public static func fit(
    spectrogram: Spectrogram, signals: [AudioSignal], components: Int = 80, epsilon: Float = 0.01,
    maxFrames: Int? = nil
  ) throws -> AudioFeatures {
    try fit(
      spectrogram: spectrogram, signalCount: signals.count, signal: { signals[$0] },
      components: components, epsilon: epsilon, maxFrames: maxFrames)
  }

  /// `fit` on signals 0..<signalCount fetched one at a time (so a corpus is never all in memory),
  /// stopping once `maxFrames` frames have been gathered.
  public static func fit(
    spectrogram: Spectrogram, signalCount: Int, signal: (Int) throws -> AudioSignal,
    components: Int = 80, epsilon: Float = 0.01, maxFrames: Int? = nil
  ) throws -> AudioFeatures {
    var accumulator = PCAWhitening.Accumulator()
    var remaining = maxFrames ?? Int.max
    for i in 0..<signalCount where remaining > 0 {
      var frames = try spectrogram.logPower(signal(i))
      if frames.shape[0] > remaining { frames = frames.slice(0..<remaining) }
      remaining -= frames.shape[0]
      try accumulator.add(frames)
    }
    return try AudioFeatures(
      spectrogram: spectrogram,
      whitening: accumulator.whitening(components: components, epsilon: epsilon))
  }

  /// Whitened frames as a map [components, frames].
  public func map(_ signal: AudioSignal) throws -> Tensor {
    let frames = try whitening.transform(try spectrogram.logPower(signal))
    let t = frames.shape[0]
    let c = frames.shape[1]
    var out = [Float](repeating: 0, count: c * t)
    for i in 0..<t {
      for j in 0..<c { out[j * t + i] = frames.scalars[i * c + j] }
    }
    return Tensor(shape: [c, t], scalars: out)
  }

  /// The CDBN input [1, components, 1, frames]; a signal shorter than one window is an error.
  public func tensor(_ signal: AudioSignal) throws -> Tensor {
    let m = try map(signal)
    guard m.shape[1] > 0 else {
      throw DatasetError(
        .badShape, path: "audio features",
        "signal of \(signal.samples.count) samples is shorter than one \(spectrogram.windowLength)-sample window"
      )
    }
    return m.reshaped([1, m.shape[0], 1, m.shape[1]])
  }

  /// `tensor` of a TIMIT utterance's audio (resampled when it is not at the spectrogram's rate).
  public func tensor(_ utterance: TIMITUtterance) throws -> Tensor {
    try tensor(
      AudioFile.read(path: utterance.audioPath, sampleRate: spectrogram.sampleRate))
  }

  /// Where the frames of `map`/`tensor` sit in the signal.
  public var timing: FrameTiming { FrameTiming(spectrogram) }

  /// Writes the settings and the whitening into `group`.
  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", Self.kind)
    try group.setAttribute("sample_rate", spectrogram.sampleRate)
    try group.setAttribute("window_length", spectrogram.windowLength)
    try group.setAttribute("hop_length", spectrogram.hopLength)
    try group.setAttribute("fft_size", spectrogram.fftSize)
    try group.setAttribute("center", spectrogram.center ? 1 : 0)
    try group.setAttribute("log_epsilon", Double(spectrogram.epsilon))
    try whitening.save(to: group.createGroup("pca"))
  }

  /// Reads what `save` wrote; anything missing or inconsistent is a `DatasetError` naming the file
  /// and group.
  public static func load(from group: HDF5Group) throws -> AudioFeatures {
    try group.loadSaved(kind: Self.kind) {
      guard group.isGroup("pca") else {
        throw DatasetError(.badShape, path: "audio features", "has no pca group")
      }
      let spectrogram = try Spectrogram(
        sampleRate: try group.intAttribute("sample_rate"),
        windowLength: try group.intAttribute("window_length"),
        hopLength: try group.intAttribute("hop_length"),
        fftSize: try group.intAttribute("fft_size"),
        epsilon: Float(try group.doubleAttribute("log_epsilon")),
        center: try group.intAttribute("center") != 0)
      return try AudioFeatures(
        spectrogram: spectrogram, whitening: PCAWhitening.load(from: group.openGroup("pca")))
    }
  }
}
