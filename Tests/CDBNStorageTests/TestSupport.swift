import Foundation
import Testing

/// A fresh directory for one test's files, removed by `remove()`.
struct TemporaryDirectory {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "cdbn-storage-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func file(_ name: String) -> String { path + "/" + name }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Debian's /usr/bin/python3, which has python3-h5py; the default python3 on PATH may not.
enum SystemPython {
  static let executable = "/usr/bin/python3"

  /// Whether the interop tests can run; they are skipped with a note when not.
  static let hasH5py: Bool = (try? run("import h5py, numpy").status) == 0

  /// Runs `script` with `arguments` in `sys.argv[1...]`; returns the exit status and the
  /// combined output.
  static func run(_ script: String, arguments: [String] = []) throws -> (
    status: Int32, output: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["-c", script] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONPATH"] = nil
    environment["PYTHONHOME"] = nil
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}

enum FileSizes {
  static func size(of path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
  }
}
