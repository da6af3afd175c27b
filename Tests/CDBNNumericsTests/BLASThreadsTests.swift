import Testing

@testable import CDBNNumerics

@Suite struct BLASThreadsTests {
  /// OpenBLAS runs single-threaded from its first use on (cdbn's workers call it in parallel, and
  /// a PCA fitted before any worker loop must not depend on the core count), and code that saves
  /// and restores the setting (the benchmark's sgemm ceiling) puts it back to one thread.
  @Test func openBLASIsSingleThreadedFromTheStartAndAfterARestore() {
    #expect(BLAS.threads == 1)
    let saved = BLAS.threads
    BLAS.threads = 2
    BLAS.threads = saved
    #expect(BLAS.threads == 1)
  }
}
