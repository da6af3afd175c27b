import CDBNDatasets
import CDBNNumerics
import Foundation

/// Fixed-length summaries of a feature map over time, for classifiers: per utterance (speaker and
/// gender identification) and per phone segment (phone classification; `FrameTiming` finds a
/// segment's frames).
///
/// A map is [C, T] or [1, C, 1, T] (a spectrogram after whitening, or a CDBN layer's output for
/// one utterance).
public enum FeatureSummary {
  /// Mean over time of each channel, then maximum over time of each channel: 2·C values.
  public static func meanAndMax(_ map: Tensor) throws -> [Float] {
    let (c, t) = try channelsAndFrames(map)
    guard t > 0 else {
      throw DatasetError(.badShape, path: "feature summary", "map \(map.shape) has no frames")
    }
    var out = [Float](repeating: 0, count: 2 * c)
    for j in 0..<c {
      var sum = 0.0
      var best = -Float.infinity
      for i in 0..<t {
        let v = map.scalars[j * t + i]
        sum += Double(v)
        best = max(best, v)
      }
      out[j] = Float(sum / Double(t))
      out[c + j] = best
    }
    return out
  }

  /// A phone segment's summary: the channel means over its first, middle and last thirds (frames
  /// [a, b) split at a + round(L/3) and a + round(2L/3); a third with no frame of its own takes the
  /// frame at its start, clamped into the segment) followed by log(L), L = b − a frames: 3·C + 1 values.
  public static func segment(_ map: Tensor, frames range: Range<Int>) throws -> [Float] {
    let (c, t) = try channelsAndFrames(map)
    guard range.lowerBound >= 0, range.upperBound <= t, !range.isEmpty else {
      throw DatasetError(
        .invalidArgument, path: "feature summary",
        "segment frames \(range) are empty or outside the map's 0..<\(t)")
    }
    let a = range.lowerBound
    let l = range.count
    let cuts = [
      a, a + Int((Double(l) / 3).rounded()), a + Int((2 * Double(l) / 3).rounded()), a + l,
    ]
    var out = [Float](repeating: 0, count: 3 * c + 1)
    for part in 0..<3 {
      var lo = cuts[part]
      var hi = cuts[part + 1]
      if hi <= lo {
        lo = min(lo, range.upperBound - 1)
        hi = lo + 1
      }
      for j in 0..<c {
        var sum = 0.0
        for i in lo..<hi { sum += Double(map.scalars[j * t + i]) }
        out[part * c + j] = Float(sum / Double(hi - lo))
      }
    }
    out[3 * c] = Float(Foundation.log(Double(l)))
    return out
  }

  static func channelsAndFrames(_ map: Tensor) throws -> (Int, Int) {
    if map.rank == 2 { return (map.shape[0], map.shape[1]) }
    if map.rank == 4, map.shape[0] == 1, map.shape[2] == 1 { return (map.shape[1], map.shape[3]) }
    throw DatasetError(
      .badShape, path: "feature summary", "expects a map [C, T] or [1, C, 1, T], got \(map.shape)")
  }
}
