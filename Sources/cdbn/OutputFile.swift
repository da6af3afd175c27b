import ArgumentParser
import Foundation

/// Every command that writes a file refuses to replace an existing one unless given `--force`.
enum OutputFile {
  /// Throws a usage error when `path` exists and `force` is off; `alternative` names another way
  /// out ("--resume to continue it").
  static func check(_ path: String, force: Bool, alternative: String? = nil) throws {
    guard !force, FileManager.default.fileExists(atPath: path) else { return }
    throw ValidationError(
      "\(path) exists; pass --force to replace it" + (alternative.map { ", or \($0)" } ?? ""))
  }
}
