internal import CDBNKernels

/// The instruction set CDBNKernels' C kernels run on (probabilistic max-pooling's block
/// probabilities, the top-down windows of `ActivePatches`, `ExactSum`'s passes): the best the CPU
/// has, "avx512", "avx2" or "baseline", unless the environment variable CDBN_ISA names a lower one.
/// Every path computes the same bits.
public enum KernelInstructionSet {
  public static let names = ["baseline", "avx2", "avx512"]

  public static var current: String { String(cString: cdbn_kernels_isa()) }

  /// Runs the kernels on `name` from now on (never past what the CPU supports); returns the set in
  /// effect.
  @discardableResult
  public static func select(_ name: String) -> String {
    String(cString: cdbn_kernels_select(name))
  }
}
