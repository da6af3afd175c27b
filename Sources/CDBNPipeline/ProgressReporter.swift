import Foundation

/// Shows training progress: one updating line on a terminal, plain log lines otherwise.
public final class ProgressReporter: @unchecked Sendable {
  let interactive: Bool
  let quiet: Bool
  private var lastDraw = Date.distantPast

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

  /// Redraws the status line (at most ten times a second); on a pipe nothing is printed here.
  public func status(_ line: String) {
    guard interactive, !quiet, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
    lastDraw = Date()
    FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
  }

  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600
      ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
      : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
  }
}
