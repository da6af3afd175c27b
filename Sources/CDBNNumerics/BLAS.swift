internal import CBLAS

/// The one place CDBNNumerics calls OpenBLAS. Everything else goes through these functions,
/// so no C type leaves the module.
public enum BLAS {
  /// Whether a matrix operand is read as stored or transposed.
  public enum Transpose: Sendable { case none, transposed }

  /// C ← α·op(A)·op(B) + β·C for row-major matrices; op(A) is m×k, op(B) is k×n, C is m×n.
  @inline(__always)
  public static func sgemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    _ = Parallelism.blasSingleThreaded
    cblas_sgemm(
      CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
      transB == .none ? CblasNoTrans : CblasTrans, Int32(m), Int32(n), Int32(k), alpha, a,
      Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y ← α·x + y.
  public static func saxpy(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
  }

  /// Eigenvalues and eigenvectors of the symmetric n×n matrix `a` (row-major; only symmetry is
  /// assumed, so either triangle may be read), by LAPACK's divide-and-conquer `dsyevd` from OpenBLAS.
  /// Eigenvalues come in ascending order; `vectors[i·n + j]` is component j of the eigenvector of
  /// eigenvalue i (one eigenvector per row). Nil when LAPACK reports a failure (it did not converge,
  /// or the matrix holds NaN).
  public static func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double])?
  {
    precondition(n > 0 && a.count == n * n, "symmetricEigen needs an n×n matrix")
    _ = Parallelism.blasSingleThreaded
    // Column-major LAPACK sees the transpose of the row-major matrix: the same symmetric matrix.
    // Its eigenvectors come back as columns, i.e. as rows of the row-major result.
    var matrix = a
    var values = [Double](repeating: 0, count: n)
    var size = Int32(n)
    var info: Int32 = 0
    var workQuery = 0.0
    var iworkQuery: Int32 = 0
    var query: Int32 = -1
    let jobz: CChar = 86  // "V": eigenvectors too
    let uplo: CChar = 85  // "U"
    var j = jobz
    var u = uplo
    dsyevd_(
      &j, &u, &size, &matrix, &size, &values, &workQuery, &query, &iworkQuery, &query, &info, 1, 1)
    guard info == 0 else { return nil }
    var lwork = Int32(workQuery)
    var liwork = iworkQuery
    var work = [Double](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    dsyevd_(
      &j, &u, &size, &matrix, &size, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
    guard info == 0 else { return nil }
    return (values, matrix)
  }

  /// The name of the kernel family OpenBLAS chose for this CPU (it may be forced by `OPENBLAS_CORETYPE`).
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }

  /// OpenBLAS's own thread count. cdbn parallelises over examples and keeps OpenBLAS at one thread
  /// inside those loops; the benchmark raises it only to time a single large sgemm.
  public static var threads: Int {
    get {
      _ = Parallelism.blasSingleThreaded
      return Int(openblas_get_num_threads())
    }
    set {
      _ = Parallelism.blasSingleThreaded
      openblas_set_num_threads(Int32(max(1, newValue)))
    }
  }
}
