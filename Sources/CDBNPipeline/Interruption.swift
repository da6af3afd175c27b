import CDBNNumerics
import Dispatch
import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM as a request to stop at the next safe point: the long loops (epochs
/// and batches of `pretrain` and `train-cnn`, batches of `features`, the fits of `classify`) call
/// `check`, which throws an error saying what was saved and how to continue, so files are closed, a
/// half-written output's temporary file is removed, and the last checkpoint stays whole. A second
/// signal stops at once (its temporary file, if any, is removed by the next write beside it).
public enum Interruption {
  private static let received = Atomic<Int32>(0)

  // Kept only to stay alive; never touched after the first use (a lazy static is initialised once).
  nonisolated(unsafe) private static let sources: [any DispatchSourceSignal] = [SIGINT, SIGTERM].map
  { number in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler {
      if received.exchange(number, ordering: .relaxed) != 0 { _exit(128 + number) }
      FileHandle.standardError.write(
        Data("\ncdbn: stopping at the next safe point (again to stop at once)\n".utf8))
    }
    source.resume()
    return source
  }

  /// Turns SIGINT and SIGTERM into stop requests for the rest of the process.
  public static func install() { _ = sources }

  /// The signal received, if any ("SIGINT", "SIGTERM").
  static var signalName: String? {
    switch received.load(ordering: .relaxed) {
    case 0: nil
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case let n: "signal \(n)"
    }
  }

  /// Throws a `PipelineError` about `path` when a stop was requested; `state` says what was saved
  /// and how to continue.
  static func check(_ path: String, _ state: @autoclosure () -> String) throws {
    if let name = signalName { throw PipelineError(path, "stopped by \(name): \(state())") }
  }

  /// `check` for every process of a run at once: all stop at the same safe point when any of them
  /// received a signal (a launcher may deliver it to some only).
  static func check(
    _ path: String, across processes: any ProcessGroup, _ state: @autoclosure () -> String
  ) throws {
    if processes.size > 1 {
      let mine = UInt64(received.load(ordering: .relaxed))
      if let first = try processes.gatherValues(mine).first(where: { $0 != 0 }) {
        _ = received.compareExchange(expected: 0, desired: Int32(first), ordering: .relaxed)
      }
    }
    try check(path, state())
  }
}
