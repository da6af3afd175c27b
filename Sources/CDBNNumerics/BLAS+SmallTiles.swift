extension BLAS {
  /// The same product as ``sgemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``, cut into tiles that
  /// OpenBLAS multiplies with its small-matrix kernels when one side of the product is thin.
  ///
  /// OpenBLAS's general path packs both operands before multiplying. When one side has only a few
  /// dozen rows (a layer's filters, one example's unfolded patches) the packing costs about as much
  /// as the multiply: 24 × 81 × 400 with B transposed ran at 64–73 GFLOP/s on one Zen 4 core. Its
  /// small-matrix kernels do not pack, but OpenBLAS 0.3 takes them only when m·n·k ≤ 10⁶ and, for
  /// a row-major product with B transposed, m·n ≤ 1200 and k ≥ 32. The same product cut into two
  /// 24 × 41 × 400 tiles ran at 98–104 GFLOP/s.
  ///
  /// Tiles split `m` and `n` first, which leaves every entry's sum as one call computes it; `k` is
  /// split only when a tile would still be too large, and then later pieces accumulate with β = 1.
  /// Products with no thin side (m, n and k all ≥ 64), or so large that they would need many tiles,
  /// go to `sgemm` whole, and so does every product when OpenBLAS runs a core without small-matrix
  /// kernels: there the tiles only add calls (the bench's W1 lost 7 % under `OPENBLAS_CORETYPE=Haswell`).
  public static func sgemmInSmallTiles(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let tiles =
      hasSmallMatrixKernels
      ? SmallTiles(transA: transA, transB: transB, m: m, n: n, k: k)
      : SmallTiles(m: m, n: n, k: k)
    sgemm(
      transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
      c: c, ldc: ldc, tiles: tiles)
  }

  /// Whether the running OpenBLAS core has small-matrix kernels (OpenBLAS 0.3 has them for the
  /// AVX-512 cores only; Zen 4 runs the Cooper Lake kernels).
  static let hasSmallMatrixKernels: Bool = {
    let name = coreName.lowercased().filter { $0.isLetter }
    return ["skylakex", "cooperlake", "sapphirerapids"].contains(name)
  }()

  /// The product as a sequence of `tiles`-sized sgemm calls.
  static func sgemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, tiles: SmallTiles
  ) {
    // One call when nothing is cut, and for empty products, where sgemm still scales C by β.
    guard m > 0, n > 0, k > 0, tiles.m < m || tiles.n < n || tiles.k < k else {
      sgemm(
        transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c, ldc: ldc)
      return
    }
    for kStart in stride(from: 0, to: k, by: tiles.k) {
      let kCount = min(tiles.k, k - kStart)
      let pieceBeta: Float = kStart == 0 ? beta : 1
      for mStart in stride(from: 0, to: m, by: tiles.m) {
        let mCount = min(tiles.m, m - mStart)
        // Offsets into row-major operands: op(A) rows are mStart..., its columns kStart...
        let aTile = transA == .none ? a + mStart * lda + kStart : a + kStart * lda + mStart
        for nStart in stride(from: 0, to: n, by: tiles.n) {
          let nCount = min(tiles.n, n - nStart)
          let bTile = transB == .none ? b + kStart * ldb + nStart : b + nStart * ldb + kStart
          sgemm(
            transA, transB, m: mCount, n: nCount, k: kCount, alpha: alpha, a: aTile, lda: lda,
            b: bTile, ldb: ldb, beta: pieceBeta, c: c + mStart * ldc + nStart, ldc: ldc)
        }
      }
    }
  }
}

/// Tile sizes for ``BLAS/sgemmInSmallTiles(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
struct SmallTiles: Equatable {
  var m: Int
  var n: Int
  var k: Int

  /// OpenBLAS's bound on m·n·k for its small-matrix kernels.
  static let volumeLimit = 1_000_000
  /// Its bound on m·n when B is transposed (the column-major "TN" case it tunes separately).
  static let transposedBAreaLimit = 1200
  /// Its least k when B is transposed.
  static let transposedBMinimumK = 32
  /// A product with a dimension shorter than this ran 25–45 % slower on the general path than in
  /// tiles (dimensions of 24–100 measured); larger ones are left to it.
  static let thinSide = 64
  /// Beyond this many tiles the general path's packing is cheap enough anyway.
  static let maximumTiles = 32

  init(m: Int, n: Int, k: Int) {
    self.m = m
    self.n = n
    self.k = k
  }

  init(transA: BLAS.Transpose, transB: BLAS.Transpose, m: Int, n: Int, k: Int) {
    self.init(m: max(m, 1), n: max(n, 1), k: max(k, 1))
    guard min(m, n, k) < Self.thinSide, m * n * k > 0 else { return }
    let transposedB = transA == .none && transB == .transposed
    var tile = self
    if transposedB {
      while tile.m * tile.n > Self.transposedBAreaLimit {
        if tile.m >= tile.n { tile.m = (tile.m + 1) / 2 } else { tile.n = (tile.n + 1) / 2 }
      }
    } else if tile.m * tile.n * k > Self.volumeLimit {
      // Narrow the wider side until a tile fits, keeping it at least one vector wide.
      let area = max(Self.volumeLimit / k, 16)
      if tile.n >= tile.m {
        tile.n = Self.evenPiece(tile.n, atMost: max(area / tile.m, 16))
      } else {
        tile.m = Self.evenPiece(tile.m, atMost: max(area / tile.n, 16))
      }
    }
    if tile.m * tile.n * k > Self.volumeLimit {
      tile.k = Self.evenPiece(k, atMost: max(Self.volumeLimit / (tile.m * tile.n), 1))
      if transposedB && tile.k < Self.transposedBMinimumK { return }
    }
    let count =
      ((m + tile.m - 1) / tile.m) * ((n + tile.n - 1) / tile.n) * ((k + tile.k - 1) / tile.k)
    guard count <= Self.maximumTiles else { return }
    self = tile
  }

  /// The length of each of the fewest equal pieces of `length` that are at most `limit` long.
  static func evenPiece(_ length: Int, atMost limit: Int) -> Int {
    let pieces = (length + limit - 1) / limit
    return (length + pieces - 1) / pieces
  }
}
