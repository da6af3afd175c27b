import CDBNNumerics
import Foundation
import Synchronization
import Testing

/// `size` ranks in one process, one thread each: collectives meet at a barrier and combine what
/// every rank brought. Enough to run code written for `ProcessGroup` as 2 or 3 processes would.
final class SimulatedWorld: @unchecked Sendable {
  let size: Int
  private let condition = NSCondition()
  private var arrived = 0
  private var generation = 0
  private var contributions: [[UInt8]]
  private var result: [UInt8] = []

  init(size: Int) {
    self.size = size
    contributions = Array(repeating: [], count: size)
  }

  /// Every rank brings `bytes`; all get `combine(all ranks' bytes in rank order)`.
  func exchange(rank: Int, _ bytes: [UInt8], combine: ([[UInt8]]) -> [UInt8]) -> [UInt8] {
    condition.lock()
    defer { condition.unlock() }
    let myGeneration = generation
    contributions[rank] = bytes
    arrived += 1
    if arrived == size {
      result = combine(contributions)
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == myGeneration { condition.wait() }
    }
    return result
  }

  /// Runs `body(rank)` on `size` threads of its own (a dispatch pool may run fewer at once, and
  /// ranks waiting at a barrier for one that never starts would wait forever).
  func run<T: Sendable>(_ body: @Sendable @escaping (Rank) throws -> T) throws -> [T] {
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let done = DispatchGroup()
    for r in 0..<size {
      done.enter()
      Thread {
        let outcome = Result { try body(Rank(world: self, rank: r)) }
        results.withLock { $0[r] = outcome }
        done.leave()
      }.start()
    }
    done.wait()
    return try results.withLock { all in try (0..<size).map { try all[$0]!.get() } }
  }

  final class Rank: ProcessGroup, @unchecked Sendable {
    let world: SimulatedWorld
    let rank: Int
    var size: Int { world.size }
    init(world: SimulatedWorld, rank: Int) { (self.world, self.rank) = (world, rank) }

    func allGather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int]) throws {
      let start = counts[..<rank].reduce(0, +)
      let mine = Array(buffer[start..<(start + counts[rank])])
      let all = world.exchange(rank: rank, mine) { $0.flatMap { $0 } }
      buffer.copyBytes(from: all)
    }
    func gather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int], root: Int) throws {
      let start = counts[..<rank].reduce(0, +)
      let mine = Array(buffer[start..<(start + counts[rank])])
      let all = world.exchange(rank: rank, mine) { $0.flatMap { $0 } }
      if rank == root { buffer.copyBytes(from: all) }
    }
    func allReduceSum(_ values: inout [Int64]) throws {
      values = reduce(values) { $0 &+ $1 }
    }
    func allReduceMax(_ values: inout [Int16]) throws {
      values = reduce(values) { max($0, $1) }
    }

    private func reduce<T: BitwiseCopyable>(_ values: [T], _ op: @escaping (T, T) -> T) -> [T] {
      let bytes = values.withUnsafeBytes { Array($0) }
      let combined = world.exchange(rank: rank, bytes) { all in
        let arrays = all.map { b in
          b.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
        }
        let reduced = (0..<values.count).map { i in
          arrays.dropFirst().reduce(arrays[0][i]) { op($0, $1[i]) }
        }
        return reduced.withUnsafeBytes { Array($0) }
      }
      return combined.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }
  }
}

@Suite struct ExactSumTests {
  /// Values over ten orders of magnitude, signs mixed, with cancellations: what a float32 sum in
  /// different orders rounds differently.
  static func partials(units: Int, stride: Int, seed: UInt64) -> [Float] {
    var rng = RandomStream(seed: seed)
    return (0..<(units * stride)).map { _ in
      let magnitude = Float(pow(10, Double(rng.nextInt(below: 10)) - 6))
      return (rng.nextFloat() - 0.5) * magnitude
    }
  }

  @Test func theSumDoesNotDependOnHowTheUnitsAreSplitAcrossProcesses() throws {
    let (units, stride) = (37, 50)
    let values = Self.partials(units: units, stride: stride, seed: 3)
    let single = try values.withUnsafeBufferPointer {
      try ExactSum.sum(
        $0.baseAddress!, stride: stride, units: units, owned: 0..<units, processes: SingleProcess())
    }
    for size in [2, 3, 5] {
      let world = SimulatedWorld(size: size)
      let sums = try world.run { rank in
        try values.withUnsafeBufferPointer {
          try ExactSum.sum(
            $0.baseAddress!, stride: stride, units: units, owned: rank.share(of: units),
            processes: rank)
        }
      }
      for r in 0..<size { #expect(sums[r] == single, "rank \(r) of \(size)") }
    }
    // And it is the sum: within a float32 rounding of a Double reference.
    for i in 0..<stride {
      let reference = (0..<units).reduce(0.0) { $0 + Double(values[$1 * stride + i]) }
      let magnitude = (0..<units).map { abs(Double(values[$0 * stride + i])) }.max()!
      #expect(abs(Double(single[i]) - reference) <= 1e-6 * magnitude, "element \(i)")
    }
  }

  @Test func doublesZerosAndNonFiniteValues() throws {
    var values: [Double] = [1e-300, 3, 0, -2.5, 1e300, 0, 0.25, 0]
    let sums = try values.withUnsafeBufferPointer {
      try ExactSum.sum(
        $0.baseAddress!, stride: 2, units: 4, owned: 0..<4, processes: SingleProcess())
    }
    #expect(sums == [1e300 + 0.25, 0.5])
    values[3] = .infinity
    let withInfinity = try values.withUnsafeBufferPointer {
      try ExactSum.sum(
        $0.baseAddress!, stride: 2, units: 4, owned: 0..<4, processes: SingleProcess())
    }
    #expect(withInfinity[0] == 1e300 + 0.25 && withInfinity[1].isNaN)
    let floats: [Float] = [0, 0, .nan, 1]
    let floatSums = try floats.withUnsafeBufferPointer {
      try ExactSum.sum(
        $0.baseAddress!, stride: 2, units: 2, owned: 0..<2, processes: SingleProcess())
    }
    #expect(floatSums[0].isNaN && floatSums[1] == 1)
  }

  /// The C kernels of each instruction set this CPU has give the same bits, and the same as the
  /// Swift passes on the same values as Doubles.
  @Test func everyInstructionSetAndTheDoublePathAgree() throws {
    let before = KernelInstructionSet.current
    defer { KernelInstructionSet.select(before) }
    let (units, stride) = (9, 5000)
    let values = Self.partials(units: units, stride: stride, seed: 8)
    func run(_ name: String) throws -> [Float]? {
      guard KernelInstructionSet.select(name) == name else { return nil }
      return try values.withUnsafeBufferPointer {
        try ExactSum.sum(
          $0.baseAddress!, stride: stride, units: units, owned: 0..<units,
          processes: SingleProcess())
      }
    }
    let results = try KernelInstructionSet.names.compactMap(run)
    #expect(!results.isEmpty)
    for r in results.dropFirst() { #expect(r.map(\.bitPattern) == results[0].map(\.bitPattern)) }
    let doubles = try values.map(Double.init).withUnsafeBufferPointer {
      try ExactSum.sum(
        $0.baseAddress!, stride: stride, units: units, owned: 0..<units, processes: SingleProcess())
    }
    #expect(doubles.map(Float.init).map(\.bitPattern) == results[0].map(\.bitPattern))
  }
}
