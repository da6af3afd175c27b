import Foundation

/// An I/O fault that `Tests/faults/cdbn-faults.c`, preloaded into a child process, injects into
/// every file under one folder.
public enum InjectedFault: String, CaseIterable, Sendable {
  /// Writes fail with EIO past an allowance of bytes.
  case ioError = "eio"
  /// Writes succeed and fsync fails with EIO, the way a dying disk reports a lost write.
  case ioErrorAtSync = "eio-fsync"
  /// The folder is read-only.
  case readOnlyFolder = "erofs"

  /// The environment that injects this fault under `folder`, `allowance` bytes into the writes.
  public func environment(folder: String, allowance: Int = 0) throws -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["LD_PRELOAD"] = try Self.library()
    environment["CDBN_FAULT"] = rawValue
    environment["CDBN_FAULT_DIR"] = folder
    environment["CDBN_FAULT_AFTER"] = String(allowance)
    // AddressSanitizer insists on loading first; the shim has no instrumented code to check.
    environment["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    return environment
  }

  /// The shim, compiled once per test process by the toolchain's clang (beside `swift`) or `cc`.
  public static func library() throws -> String {
    try compiled.get()
  }

  private static let compiled: Result<String, Error> = Result {
    let source = packageRoot().appendingPathComponent("Tests/faults/cdbn-faults.c").path
    let folder = try TemporaryDirectory()
    let library = folder.file("cdbn-faults.so")
    let path = ProcessInfo.processInfo.environment["PATH", default: "/usr/bin"].split(
      separator: ":")
    // The toolchain's own clang first, beside the real `swift` (PATH may hold only a link to it).
    let toolchain = path.map { "\($0)/swift" }
      .filter { FileManager.default.isExecutableFile(atPath: $0) }
      .map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().path }
    let compilers =
      (toolchain.map { "\($0)/clang" } + path.flatMap { ["\($0)/clang", "\($0)/cc"] })
      .filter { FileManager.default.isExecutableFile(atPath: $0) }
    guard let compiler = compilers.first else {
      throw FaultShimError(message: "no clang or cc on PATH to build \(source)")
    }
    let result = try runProcess(
      compiler, ["-shared", "-fPIC", "-O1", "-o", library, source, "-ldl"])
    guard result.status == 0 else {
      throw FaultShimError(message: "\(compiler) failed on \(source): \(result.stderr)")
    }
    return library
  }
}

/// The fault shim could not be built.
public struct FaultShimError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}
