import CDBNModels
import CDBNStorage

/// The audio front end is a model's first stage like image preprocessing: one `/preprocessing` group.
extension AudioFeatures: FrontEnd {
  public static func reads(kind: String) -> Bool { kind == Self.kind }

  public var kind: String { Self.kind }

  /// "spectrogram+pca, 320-sample window every 160 samples at 16000 Hz, 80 of 161 PCA components
  /// (ε 0.01)".
  public var summary: String {
    let s = spectrogram
    return
      "\(Self.kind), \(s.windowLength)-sample window every \(s.hopLength) samples at \(s.sampleRate) Hz, \(whitening.componentCount) of \(s.binCount) PCA components (ε \(whitening.epsilon))"
  }

  public var outputChannels: Int? { whitening.componentCount }

  public init(from group: HDF5Group) throws { self = try Self.load(from: group) }
}
