internal import CBLAS
import Dispatch
import Foundation
import Synchronization

/// How many worker threads cdbn's own loops use. OpenBLAS runs single-threaded inside them.
///
/// Results never depend on this number: work is cut into tasks whose boundaries do not depend on it,
/// each task writes its own output, and partial sums are added in task order.
public enum Parallelism {
  private static let configured = Atomic<Int>(0)

  /// The worker count; defaults to the number of active processors.
  public static var threads: Int {
    get {
      let n = configured.load(ordering: .relaxed)
      return n > 0 ? n : max(1, ProcessInfoCores.active)
    }
    set { configured.store(max(1, newValue), ordering: .relaxed) }
  }

  /// cdbn's workers each call sgemm; OpenBLAS threads inside them would only contend for the cores.
  /// Set before OpenBLAS's first use (BLAS calls it too), so a call made before any worker loop
  /// (PCA's covariance and eigenvectors) does not depend on the machine's core count either.
  static let blasSingleThreaded: Void = { openblas_set_num_threads(1) }()

  /// Runs `body(task, worker)` for every task in `0..<tasks`, spreading tasks over the workers.
  /// `worker` is in `0..<min(threads, tasks)` and names scratch memory that one worker owns.
  ///
  /// Workers take the next task as they finish one, so a core that another tenant slows down does
  /// not leave the other waiting at the end. Which worker runs a task may differ between runs; what
  /// a task computes must not depend on it (tasks own their outputs and random streams).
  public static func forEach(
    _ tasks: Int, threads requested: Int? = nil, _ body: (_ task: Int, _ worker: Int) -> Void
  ) {
    _ = blasSingleThreaded
    let workers = min(requested ?? threads, tasks)
    if workers <= 1 {
      for t in 0..<tasks { body(t, 0) }
      return
    }
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(body) { body in
      nonisolated(unsafe) let body = body
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        while true {
          let t = next.wrappingAdd(1, ordering: .relaxed).oldValue
          if t >= tasks { break }
          body(t, worker)
        }
      }
    }
  }
}

/// The number of processors this process may run on.
enum ProcessInfoCores {
  static var active: Int { ProcessInfo.processInfo.activeProcessorCount }
}
