import Foundation

/// A fresh directory for one test's files; tests call `remove()` in a defer.
public struct TemporaryDirectory: Sendable {
  public let path: String

  public init() throws {
    path =
      FileManager.default.temporaryDirectory.appendingPathComponent(
        "cdbn-tests-" + UUID().uuidString
      ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  public func file(_ name: String) -> String { path + "/" + name }

  /// Writes `bytes` to `name` (creating folders on the way) and returns its path.
  @discardableResult
  public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let full = file(name)
    try FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: full))
    return full
  }

  @discardableResult
  public func write(_ name: String, text: String) throws -> String {
    try write(name, Array(text.utf8))
  }

  /// The names in the directory, sorted (to check that nothing, not even a temporary file, was left).
  public func contents() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }

  public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

public func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

public func readBytes(_ path: String) throws -> [UInt8] {
  try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The size of a file in bytes, or nil when it cannot be read.
public func fileSize(_ path: String) -> Int? {
  (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
}

/// The package root: this file is <root>/Tests/CDBNTestSupport/TemporaryDirectory.swift.
public func packageRoot(_ file: String = #filePath) -> URL {
  URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
}

/// The embedded data of <root>/Data.
public let dataFolder = packageRoot().appendingPathComponent("Data").path
