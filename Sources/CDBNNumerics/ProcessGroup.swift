import Foundation

/// The processes that share one run's work, as in `torch.distributed`: `size` processes, this one
/// being `rank`. (`Parallelism` covers the threads inside one process.)
///
/// A run started without a launcher is a `SingleProcess`. Work is cut into units whose boundaries do
/// not depend on `size`; each process computes a contiguous share of them (`share(of:)`), and the
/// units' partial sums are added exactly across the processes (`ExactSum`). So results do not
/// depend on the process count, as they do not depend on the thread count.
public protocol ProcessGroup: AnyObject, Sendable {
  var rank: Int { get }
  var size: Int { get }
  /// In place: on entry rank r's bytes sit at offset `counts[0..<r].sum` of `buffer`; on return
  /// every rank's buffer holds every rank's bytes. `counts` is the same on every rank.
  func allGather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int]) throws
  /// `allGather` to rank `root` only; the other ranks' buffers are unchanged.
  func gather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int], root: Int) throws
  /// Element-wise sums over every rank, in place (integers: exact in any order).
  func allReduceSum(_ values: inout [Int64]) throws
  /// Element-wise maxima over every rank, in place.
  func allReduceMax(_ values: inout [Int16]) throws
}

/// The world of a run started without `mpirun`: one process, and collectives that do nothing.
public final class SingleProcess: ProcessGroup {
  public init() {}
  public var rank: Int { 0 }
  public var size: Int { 1 }
  public func allGather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int]) throws {}
  public func gather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int], root: Int) throws {}
  public func allReduceSum(_ values: inout [Int64]) throws {}
  public func allReduceMax(_ values: inout [Int16]) throws {}
}

extension ProcessGroup {
  /// Whether this process writes files and prints progress (rank 0).
  public var isLeader: Bool { rank == 0 }

  /// The contiguous shares of `units` work units, one per rank in rank order: equal, the first
  /// `units % size` ranks taking one more. A rank's share is empty when there are fewer units than ranks.
  public func shares(of units: Int) -> [Range<Int>] {
    let base = units / size
    let extra = units % size
    var start = 0
    return (0..<size).map { r in
      let count = base + (r < extra ? 1 : 0)
      defer { start += count }
      return start..<(start + count)
    }
  }

  /// This rank's share of `units` work units (see `shares(of:)`).
  public func share(of units: Int) -> Range<Int> { shares(of: units)[rank] }

  /// `gather` of Floats to rank 0: rank r's `counts[r]` values sit after the lower ranks' in
  /// `values`, which on rank 0 then holds every rank's.
  public func gatherToLeader(_ values: inout [Float], counts: [Int]) throws {
    try values.withUnsafeMutableBytes {
      try gather($0, counts: counts.map { $0 * MemoryLayout<Float>.stride }, root: 0)
    }
  }

  /// Every rank's `value`, in rank order.
  public func gatherValues(_ value: UInt64) throws -> [UInt64] {
    var all = [UInt64](repeating: 0, count: size)
    all[rank] = value
    try all.withUnsafeMutableBytes { try allGather($0, counts: Array(repeating: 8, count: size)) }
    return all
  }
}
