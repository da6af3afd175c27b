import CDBNAudio

extension PretrainingConfig {
  /// Audio pretraining: which utterances (`data.audio` and its selection keys) and the front end
  /// fitted on them at the start of the run (`preprocessing.spectrogram`, `preprocessing.pca`).
  ///
  /// ```yaml
  /// data:
  ///   audio: Data/timit-sample     # a TIMIT folder (LDC or NLTK layout) or a path,label[,speaker] CSV
  ///   subset: train                # TIMIT: all | train | test | core-test | development
  ///   speakers: [FVMH0, MCPM0]     # keep only these speakers
  ///   exclude_sa: false            # leave out TIMIT's SA sentences
  ///   patch: [1, 100]              # random time crops of the whitened maps (required)
  /// preprocessing:
  ///   spectrogram: {window_ms: 20, hop_ms: 10, sample_rate: 16000}
  ///   pca: {components: 80, epsilon: 0.01, fit_frames: 1000000}
  /// ```
  public struct AudioSettings: Sendable, Equatable {
    /// The TIMIT folder or CSV corpus.
    public var path: String
    public var selection = AudioDataset.Selection()
    public var sampleRate = 16000
    public var windowSeconds = 0.020
    public var hopSeconds = 0.010
    /// PCA components kept (the CDBN's input channels).
    public var components = 80
    /// ε of the whitening, diag(1/√(λ + ε)).
    public var whiteningEpsilon: Float = 0.01
    /// Fit the whitening on at most this many frames (the first utterances'); all when nil.
    public var fitFrames: Int?

    static let dataKeys: Set<String> = [
      "audio", "subset", "speakers", "exclude_sa", "patch", "limit",
    ]

    public init(path: String) { self.path = path }

    /// Reads the audio keys; nil when `data.audio` is absent (the data is pictures).
    init?(data d: ConfigReader, preprocessing p: ConfigReader?) throws {
      guard let path = try d.string("audio") else { return nil }
      self.path = path
      if let name = try d.string("subset") {
        guard let subset = AudioDataset.Selection.subsetNames[name] else {
          throw d.fail(
            "subset",
            "must be one of \(AudioDataset.Selection.subsetNames.keys.sorted().joined(separator: ", ")), got \"\(name)\""
          )
        }
        selection.subset = subset
      }
      if let nodes = try d.sequence("speakers") {
        let names = nodes.compactMap(\.string)
        guard names.count == nodes.count, !names.isEmpty else {
          throw d.fail("speakers", "must be a non-empty list of speaker names")
        }
        selection.speakers = names
      }
      selection.excludingSA = try d.bool("exclude_sa") ?? false
      guard let p else { return }
      try p.allowOnly(["spectrogram", "pca"])
      if let s = try p.child("spectrogram") {
        try s.allowOnly(["window_ms", "hop_ms", "sample_rate"])
        if let w = try s.float("window_ms") { windowSeconds = Double(w) / 1000 }
        if let h = try s.float("hop_ms") { hopSeconds = Double(h) / 1000 }
        if let r = try s.int("sample_rate", in: 1000...384_000) { sampleRate = r }
        try s.validating { _ = try spectrogram() }
      }
      if let c = try p.child("pca") {
        try c.allowOnly(["components", "epsilon", "fit_frames"])
        if let k = try c.int("components", in: 1...65_536) { components = k }
        if let e = try c.float("epsilon") {
          guard e >= 0 else { throw c.fail("epsilon", "must be ≥ 0, got \(e)") }
          whiteningEpsilon = e
        }
        fitFrames = try c.int("fit_frames", in: 2...Int(Int32.max))
      }
      let bins = try spectrogram().binCount
      guard components <= bins else {
        throw p.fail(
          "pca", "keeps \(components) components of \(bins)-bin spectra; lower pca.components")
      }
    }

    /// Audio is trained on random time crops [1, frames] of the whitened maps.
    func check(patch: [Int]?, data d: ConfigReader) throws {
      guard let patch else {
        throw d.fail("patch", "is required for audio: random time crops, e.g. patch: [1, 100]")
      }
      guard patch[0] == 1 else {
        throw d.fail("patch", "audio maps have height 1; use [1, frames], got \(patch)")
      }
    }

    /// The log power spectrogram these settings describe (20 ms Hann window, 10 ms hop by default).
    public func spectrogram() throws -> Spectrogram {
      try Spectrogram(sampleRate: sampleRate, windowSeconds: windowSeconds, hopSeconds: hopSeconds)
    }

    /// The selected utterances, read at `sampleRate`.
    public func dataset() throws -> AudioDataset {
      try AudioDataset(path: path, selection: selection, sampleRate: sampleRate)
    }
  }
}
