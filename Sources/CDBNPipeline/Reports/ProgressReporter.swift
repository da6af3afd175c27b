import Foundation
import Synchronization

/// Shows training progress: one updating line on a terminal, plain log lines otherwise (the
/// status line too, at most every `pipeInterval` seconds, so a long step in a log is not silent).
/// Safe to call from worker threads.
public final class ProgressReporter: Sendable {
  let interactive: Bool
  let quiet: Bool
  private let lastDraw = Mutex(Date.distantPast)
  /// Seconds between status lines when standard error is not a terminal.
  static let pipeInterval = 10.0

  public init(quiet: Bool = false) {
    self.quiet = quiet
    interactive = isatty(2) != 0
  }

  /// Writes a plain line to standard error.
  public func log(_ line: String) {
    guard !quiet else { return }
    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  /// Redraws the status line (at most ten times a second); on a pipe, prints it as a plain line at
  /// most every `pipeInterval` seconds.
  public func status(_ line: String) {
    guard !quiet else { return }
    let interval = interactive ? 0.1 : Self.pipeInterval
    let due = lastDraw.withLock { last in
      let now = Date()
      guard now.timeIntervalSince(last) > interval else { return false }
      last = now
      return true
    }
    guard due else { return }
    FileHandle.standardError.write(
      Data((interactive ? "\r\u{1B}[K\(line)" : line + "\n").utf8))
  }

  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600
      ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
      : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
  }
}
