/// How a batch is cut into chunks for the unfolded-matrix kernels.
///
/// The cut depends only on the batch size and the shapes (never on the thread count), so partial
/// sums are formed and added in the same order on any machine: same seed, same numbers.
public struct ChunkPlan: Sendable, Equatable {
  public let ranges: [Range<Int>]

  /// About `budget` floats of unfolded matrix per chunk; an even number of chunks when there are
  /// several, so two workers get equal shares.
  public init(examples: Int, floatsPerExample: Int, budget: Int = 1 << 17) {
    guard examples > 0 else {
      ranges = []
      return
    }
    let perChunk = max(1, budget / max(1, floatsPerExample))
    var chunks = (examples + perChunk - 1) / perChunk
    if chunks > 1 && chunks % 2 == 1 { chunks += 1 }
    chunks = min(chunks, examples)
    var r: [Range<Int>] = []
    r.reserveCapacity(chunks)
    let base = examples / chunks
    let extra = examples % chunks
    var start = 0
    for i in 0..<chunks {
      let size = base + (i < extra ? 1 : 0)
      r.append(start..<(start + size))
      start += size
    }
    ranges = r
  }

  public var largest: Int { ranges.map(\.count).max() ?? 0 }
}
