import Foundation

/// What a batch costs in memory, estimated before anything is allocated, so that examples too large
/// for the machine are refused with a message instead of the process aborting on an allocation.
///
/// Per example it counts the input and, at each layer, four copies of the detection maps (the
/// probabilities, their samples, and the negative phase's two), the largest layer deciding; it is a
/// bound to refuse impossible runs, not an accounting of every buffer.
public enum BatchMemory {
  /// One layer as the estimate sees it.
  public struct Layer {
    public var filters: Int
    public var pooling: [Int]
    /// The pooled output size for an input of height × width, or nil when the filters do not fit.
    public var outputSize: (_ height: Int, _ width: Int) -> (height: Int, width: Int)?

    public init(
      filters: Int, pooling: [Int],
      outputSize: @escaping (_ height: Int, _ width: Int) -> (height: Int, width: Int)?
    ) {
      self.filters = filters
      self.pooling = pooling
      self.outputSize = outputSize
    }
  }

  /// Bytes for a batch of `batch` examples of `example` [C, H, W] through `layers`.
  public static func bytes(example: [Int], batch: Int, layers: [Layer]) -> Double {
    guard example.count == 3 else { return 0 }
    var (c, h, w) = (Double(example[0]), example[1], example[2])
    var largest = c * Double(h) * Double(w)
    for layer in layers {
      guard let size = layer.outputSize(h, w) else { break }
      let detection =
        Double(layer.filters) * Double(size.height * layer.pooling[0])
        * Double(size.width * layer.pooling[1])
      largest = max(largest, c * Double(h) * Double(w) + 4 * detection)
      (c, h, w) = (Double(layer.filters), size.height, size.width)
    }
    return Double(batch) * largest * Double(MemoryLayout<Float>.size)
  }

  /// Half the machine's physical memory: the default limit for one batch.
  public static var defaultBudget: Double { Double(ProcessInfo.processInfo.physicalMemory) / 2 }

  /// Why `needed` bytes for a batch of `batch` examples of `example` exceed `budget` (with `advice`
  /// on what to change), or nil when they fit.
  public static func refusal(
    needed: Double, budget: Double, example: [Int], batch: Int, advice: String
  ) -> String? {
    guard needed > budget else { return nil }
    return
      "examples of \(example.map(String.init).joined(separator: "×")) need about \(describe(needed)) for a batch of \(batch), more than the \(describe(budget)) allowed (half this machine's memory); \(advice)"
  }

  /// "1.5 GiB".
  public static func describe(_ bytes: Double) -> String {
    String(format: "%.1f GiB", bytes / Double(1 << 30))
  }
}
