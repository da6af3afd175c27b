import CDBNStorage
import Dispatch
import Foundation

/// What a program printed and how it ended.
public struct ProcessResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String

  /// Both streams, for messages.
  public var output: String { stdout + stderr }
}

/// Accumulates what a background reader collected.
private final class DataBox: @unchecked Sendable {
  var data = Data()
}

/// Runs `executable` with `arguments`, reading stdout and stderr concurrently to the end before
/// waiting for the exit (so a child filling one pipe can never deadlock against us).
public func runProcess(
  _ executable: String, _ arguments: [String], workingDirectory: String? = nil,
  environment: [String: String]? = nil
) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
  if let environment { process.environment = environment }
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  // Tests on other threads open HDF5 files meanwhile (posix_spawn returns after the exec).
  try HDF5File.withNoFileOpening { try process.run() }
  let errBox = DataBox()
  let group = DispatchGroup()
  let errHandle = err.fileHandleForReading
  DispatchQueue.global().async(group: group) { errBox.data = errHandle.readDataToEndOfFile() }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errBox.data, as: UTF8.self))
}

/// Debian's /usr/bin/python3, which has python3-h5py (and the librosa `.ci/run` installs); the
/// python3 first on PATH may not.
public enum SystemPython {
  public static let executable = "/usr/bin/python3"

  /// Whether /usr/bin/python3 imports h5py and numpy; interop tests are skipped when not.
  public static let hasH5py: Bool = (try? run("import h5py, numpy").status) == 0
  /// Whether /usr/bin/python3 imports librosa and numpy.
  public static let hasLibrosa: Bool = (try? run("import librosa, numpy").status) == 0

  /// Runs `script` with `arguments` as `sys.argv[1...]`.
  public static func run(_ script: String, arguments: [String] = []) throws -> ProcessResult {
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONPATH"] = nil
    environment["PYTHONHOME"] = nil
    return try runProcess(executable, ["-c", script] + arguments, environment: environment)
  }
}
