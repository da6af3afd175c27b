import CDBNNumerics
import Foundation

/// The processes of this run: MPI's world when a launcher started it, else a single process that
/// never loads the network.
public enum World {
  /// Environment variables that MPI launchers set in every process they start: Open MPI's
  /// `mpirun`, PMIx (Slurm's `srun --mpi=pmix`) and PMI (MPICH's hydra, Slurm's pmi2).
  static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"]

  private nonisolated(unsafe) static var started: (any ProcessGroup)?

  /// Whether a launcher started this process (so `start()` will initialise MPI).
  public static var isLaunched: Bool {
    let environment = ProcessInfo.processInfo.environment
    return launcherVariables.contains { environment[$0] != nil }
  }

  /// The world, initialised on first use; call it from the main thread before any worker starts.
  public static func start() throws -> any ProcessGroup {
    if let started { return started }
    let world: any ProcessGroup = isLaunched ? try MPIProcessGroup() : SingleProcess()
    started = world
    return world
  }

  /// The world if `start()` made one, without making it.
  public static var current: (any ProcessGroup)? { started }

  /// Ends this process normally: MPI's finalisation when it was started.
  public static func finish() {
    (started as? MPIProcessGroup)?.finalize()
  }

  /// Ends the whole job after an error on this rank: the other ranks would otherwise wait for it in
  /// their next collective. A single process simply exits.
  public static func abort(code: Int32) -> Never {
    if let mpi = started as? MPIProcessGroup, mpi.size > 1 { mpi.abort(code: code) }
    finish()
    exit(code)
  }

  /// Throws unless every rank passed the same `fingerprint` (a hash of what must agree: the binary,
  /// the command line's meaning, the config): ranks started differently would otherwise deadlock or
  /// silently train different models.
  public static func checkAgreement(
    _ world: any ProcessGroup, fingerprint: UInt64, of what: String
  ) throws {
    guard world.size > 1 else { return }
    let all = try world.gatherValues(fingerprint)
    if let other = all.firstIndex(where: { $0 != all[0] }) {
      throw DistributedError(
        "rank \(other) was started with a different \(what) than rank 0; start every rank with the same binary, command and files"
      )
    }
  }
}
