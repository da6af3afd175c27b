import CDBNNumerics
internal import CMPI
import Foundation

/// MPI's world (Open MPI): every C call of the package's distributed runs is in this file.
///
/// Collectives: byte gathers (`MPI_Allgatherv`, `MPI_Gatherv`), and element-wise integer sums and
/// maxima (`MPI_Allreduce`), which are exact in any order; floats are never summed by MPI, whose
/// order would change with the number of processes (see `ExactSum`).
final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
  let rank: Int
  let size: Int
  private let comm: MPI_Comm

  /// Initialises MPI (one thread calls it: cdbn's workers never do) and returns the world.
  init() throws {
    var provided: Int32 = 0
    try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init")
    comm = cdbn_mpi_comm_world()
    // Errors come back as codes (thrown as `DistributedError`) instead of aborting inside MPI.
    MPI_Comm_set_errhandler(comm, cdbn_mpi_errors_return())
    var r: Int32 = 0
    var s: Int32 = 0
    try Self.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
    try Self.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
    rank = Int(r)
    size = Int(s)
  }

  public func allGather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int]) throws {
    guard size > 1 else { return }
    let (counts32, displacements) = try layout(counts, in: buffer)
    try Self.check(
      MPI_Allgatherv(
        cdbn_mpi_in_place(), 0, cdbn_mpi_byte(), buffer.baseAddress, counts32, displacements,
        cdbn_mpi_byte(), comm), "MPI_Allgatherv")
  }

  public func gather(_ buffer: UnsafeMutableRawBufferPointer, counts: [Int], root: Int) throws {
    guard size > 1 else { return }
    let (counts32, displacements) = try layout(counts, in: buffer)
    let call: Int32
    if rank == root {
      call = MPI_Gatherv(
        cdbn_mpi_in_place(), 0, cdbn_mpi_byte(), buffer.baseAddress, counts32, displacements,
        cdbn_mpi_byte(), Int32(root), comm)
    } else {
      call = MPI_Gatherv(
        buffer.baseAddress.map { $0 + Int(displacements[rank]) }, counts32[rank], cdbn_mpi_byte(),
        nil, nil, nil, cdbn_mpi_byte(), Int32(root), comm)
    }
    try Self.check(call, "MPI_Gatherv")
  }

  public func allReduceSum(_ values: inout [Int64]) throws {
    try allReduce(&values, type: cdbn_mpi_int64(), operation: cdbn_mpi_sum(), "MPI_Allreduce (sum)")
  }

  public func allReduceMax(_ values: inout [Int16]) throws {
    try allReduce(&values, type: cdbn_mpi_int16(), operation: cdbn_mpi_max(), "MPI_Allreduce (max)")
  }

  /// In place, in pieces of at most 2^28 elements (MPI counts are 32-bit).
  private func allReduce<T>(
    _ values: inout [T], type: MPI_Datatype, operation: MPI_Op, _ call: String
  ) throws {
    guard size > 1 else { return }
    try values.withUnsafeMutableBufferPointer { buffer in
      var offset = 0
      while offset < buffer.count {
        let n = min(buffer.count - offset, 1 << 28)
        try Self.check(
          MPI_Allreduce(
            cdbn_mpi_in_place(), buffer.baseAddress! + offset, Int32(n), type, operation, comm),
          call)
        offset += n
      }
    }
  }

  /// MPI's 32-bit counts and displacements of rank-ordered shares of `buffer`.
  private func layout(_ counts: [Int], in buffer: UnsafeMutableRawBufferPointer) throws -> (
    [Int32], [Int32]
  ) {
    let total = counts.reduce(0, +)
    guard counts.count == size, total <= buffer.count else {
      throw DistributedError(
        "a gather of \(counts) bytes does not fit its \(buffer.count)-byte buffer")
    }
    guard total <= Int(Int32.max) else {
      throw DistributedError(
        "a gather of \(total) bytes exceeds MPI's 2 GB counts; use smaller batches")
    }
    var displacements = [Int32](repeating: 0, count: size)
    for r in 1..<size { displacements[r] = displacements[r - 1] + Int32(counts[r - 1]) }
    return (counts.map { Int32($0) }, displacements)
  }

  /// Ends every process of the job with `code` (an error on one rank that the others cannot see).
  func abort(code: Int32) -> Never {
    MPI_Abort(comm, code)
    exit(code)
  }

  func finalize() { MPI_Finalize() }

  private static func check(_ code: Int32, _ call: String) throws {
    guard code != MPI_SUCCESS else { return }
    var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    let message = String(
      decoding: text.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw DistributedError("\(call) failed: \(message)")
  }
}

/// An error of the distributed layer: MPI's own, or processes that disagree.
public struct DistributedError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
