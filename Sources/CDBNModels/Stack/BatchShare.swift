import CDBNNumerics

/// The part of a mini-batch that this process computes, and how the parts are put together.
///
/// A trainer cuts a batch into work units (`LayerTrainer.workUnits`), ranges of examples with one
/// partial sum each. Each process computes a contiguous share of the units, on the examples of that
/// share only, and `sumUnits` adds the partial sums of every unit exactly (`ExactSum`), so the
/// result does not depend on the process count, nor on the thread count.
public struct BatchShare {
  public let processes: any ProcessGroup
  /// Examples in the whole batch.
  public let batchSize: Int
  /// The batch's work units: contiguous, ascending, the same on every process.
  public let units: [Range<Int>]
  /// The units this process computes.
  public let owned: Range<Int>
  /// The examples of the owned units: the rows this process holds.
  public let examples: Range<Int>

  public init(units: [Range<Int>], batchSize: Int, processes: any ProcessGroup) {
    self.processes = processes
    self.batchSize = batchSize
    self.units = units
    owned = processes.share(of: units.count)
    examples = Self.examples(of: owned, in: units)
  }

  /// One unit per example: the cut of trainers whose examples are independent.
  public static func perExample(_ batchSize: Int) -> [Range<Int>] {
    (0..<batchSize).map { $0..<($0 + 1) }
  }

  /// Throws unless `shard` [n, ...] holds exactly this process's examples.
  public func check(_ shard: Tensor) throws {
    guard shard.rank >= 1, shard.shape[0] == examples.count else {
      throw ModelError.shapeMismatch(
        "this process's share of the batch is \(examples.count) example(s) but it was given \(shard.shape.first ?? 0)"
      )
    }
  }

  /// Σ over every unit of the batch of its `stride` values at `partials + unit · stride`, of which
  /// this process has filled its own units: the same numbers on any number of processes
  /// (`ExactSum`).
  public func sumUnits(_ partials: UnsafePointer<Float>, stride: Int) throws -> [Float] {
    try ExactSum.sum(
      partials, stride: stride, units: units.count, owned: owned, processes: processes)
  }

  /// `sumUnits` for Double values (squared errors).
  public func sumUnits(_ partials: UnsafePointer<Double>, stride: Int) throws -> [Double] {
    try ExactSum.sum(
      partials, stride: stride, units: units.count, owned: owned, processes: processes)
  }

  /// Gathers per-example values, `stride` elements per example of the batch at
  /// `pointer + example · stride`, in which this process has filled its own examples.
  public func gatherExamples<T: BitwiseCopyable>(_ pointer: UnsafeMutablePointer<T>, stride: Int)
    throws
  {
    guard processes.size > 1 else { return }
    let bytes = stride * MemoryLayout<T>.stride
    let counts = processes.shares(of: units.count).map {
      Self.examples(of: $0, in: units).count * bytes
    }
    try processes.allGather(
      UnsafeMutableRawBufferPointer(start: pointer, count: batchSize * bytes), counts: counts)
  }

  private static func examples(of owned: Range<Int>, in units: [Range<Int>]) -> Range<Int> {
    guard let first = owned.first, let last = owned.last else {
      let start =
        owned.lowerBound < units.count
        ? units[owned.lowerBound].lowerBound : units.last?.upperBound ?? 0
      return start..<start
    }
    return units[first].lowerBound..<units[last].upperBound
  }
}
