import ArgumentParser
import CDBNDistributed
import CDBNNumerics
import Foundation

/// How a command joins the processes that `mpirun` started (a single process without it).
enum Launch {
  /// The world, after checking that every rank runs the same binary on the same command line and
  /// `inputs` (config texts and the like): ranks started differently would train different models
  /// or wait for each other forever.
  static func world(agreeingOn inputs: [String]) throws -> any ProcessGroup {
    let world = try World.start()
    guard world.size > 1 else { return world }
    var hash = Fingerprint()
    hash.add(try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe")))
    for text in CommandLine.arguments.dropFirst() + inputs { hash.add(Data(text.utf8)) }
    try World.checkAgreement(world, fingerprint: hash.value, of: "binary, command line or config")
    return world
  }

  /// Refuses commands that would only repeat their work in every process of an `mpirun` job.
  static func refuseUnderLauncher(_ command: ParsableCommand) throws {
    guard World.isLaunched, !(command is Pretrain), !(command is Features) else { return }
    let world = try World.start()
    guard world.size > 1 else { return }
    let name = type(of: command).configuration.commandName ?? "this command"
    throw ValidationError(
      "cdbn \(name) runs in one process; only pretrain and features run under mpirun")
  }

  /// Ends the process after `error` of `command` (whose usage a usage error shows): under `mpirun`
  /// every rank prints its own error (ranks other than 0 say which they are) and the whole job
  /// stops, since the other ranks may be waiting for this one.
  static func exit(after error: Error, in command: ParsableCommand.Type) -> Never {
    let parsed = CDBNCommand.exitCode(for: error)
    let world = World.current
    if parsed == .success {
      World.finish()
      CDBNCommand.exit(withError: error)  // --help and --version, on standard output
    }
    // Usage errors exit with 2, as POSIX tools do (ArgumentParser's own is EX_USAGE, 64).
    let code = parsed == .validationFailure ? 2 : parsed.rawValue
    let prefix = (world?.rank ?? 0) == 0 ? "" : "[rank \(world?.rank ?? 0)] "
    FileHandle.standardError.write(Data((prefix + message(for: error, in: command) + "\n").utf8))
    if let world, world.size > 1 { World.abort(code: code) }
    World.finish()
    Foundation.exit(code)
  }

  /// The error as ArgumentParser words it, but a usage error found while a subcommand ran shows
  /// that subcommand's usage rather than the top level's.
  private static func message(for error: Error, in command: ParsableCommand.Type) -> String {
    guard command != CDBNCommand.self, error is ValidationError else {
      return CDBNCommand.fullMessage(for: error)
    }
    let name = command.configuration.commandName ?? "\(command)".lowercased()
    return "Error: \(error)\nUsage: " + CDBNCommand.usageString(for: command)
      + "\n  See 'cdbn \(name) --help' for more information."
  }
}

/// FNV-1a, 64 bits: the same on every machine and run (Swift's `Hasher` is seeded per process).
struct Fingerprint {
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  mutating func add(_ data: Data) {
    for byte in data {
      value = (value ^ UInt64(byte)) &* 0x0100_0000_01b3
    }
    // A separator, so ["ab", "c"] and ["a", "bc"] differ.
    value = (value ^ 0xff) &* 0x0100_0000_01b3
  }
}
