import CDBNDatasets
import CDBNNumerics

/// Utterances as CDBN examples: each one's whitened spectrogram [K, 1, frames] (K PCA components,
/// height 1, width = time), so pretraining crops and feeds them exactly as it does pictures.
///
/// Utterances differ in length: `exampleShape` is [K, 1, frames of the shortest utterance] and
/// `batch` cuts every utterance to that many frames; `example(at:)` gives one whole.
public struct AudioExamples: VariableSizeExamples, Sendable {
  public let dataset: AudioDataset
  public let features: AudioFeatures
  /// Frames of each utterance's map.
  public let frameCounts: [Int]

  /// Reads every utterance's length from its header (decoding only files that need resampling).
  public init(dataset: AudioDataset, features: AudioFeatures) throws {
    guard dataset.sampleRate == features.spectrogram.sampleRate else {
      throw DatasetError(
        .invalidArgument, path: dataset.path,
        "read at \(dataset.sampleRate) Hz but the spectrogram expects \(features.spectrogram.sampleRate) Hz"
      )
    }
    self.dataset = dataset
    self.features = features
    frameCounts = try (0..<dataset.count).map {
      features.spectrogram.frameCount(sampleCount: try dataset.sampleCount($0))
    }
    if let short = frameCounts.firstIndex(where: { $0 == 0 }) {
      throw DatasetError(
        .badShape, path: dataset.items[short].audioPath,
        "is shorter than one \(features.spectrogram.windowLength)-sample spectrogram window")
    }
  }

  public var count: Int { dataset.count }
  public var exampleShape: [Int] { [features.whitening.componentCount, 1, frameCounts.min()!] }
  public var labels: [Int]? { nil }
  public var ids: [String]? { dataset.items.map(\.id) }

  /// The shortest utterance's id and frame count.
  public var shortest: (id: String, frames: Int) {
    let i = frameCounts.indices.min { frameCounts[$0] < frameCounts[$1] }!
    return (dataset.items[i].id, frameCounts[i])
  }

  public func example(at index: Int) throws -> Tensor {
    guard index >= 0 && index < count else {
      throw DatasetError(
        .invalidArgument, path: dataset.path, "utterance \(index) is outside 0..<\(count)")
    }
    return try features.tensor(dataset.signal(index))
  }

  /// Utterances `range`, each cut to its first `exampleShape[2]` frames.
  public func batch(_ range: Range<Int>) throws -> Tensor {
    try checkRange(range, path: dataset.path)
    let shape = exampleShape
    let (k, t) = (shape[0], shape[2])
    var out = Tensor(zeros: [range.count] + shape)
    for (n, index) in range.enumerated() {
      let whole = try example(at: index)
      let full = whole.shape[3]
      for c in 0..<k {
        let src = c * full
        let dst = (n * k + c) * t
        out.scalars.replaceSubrange(dst..<(dst + t), with: whole.scalars[src..<(src + t)])
      }
    }
    return out
  }
}
