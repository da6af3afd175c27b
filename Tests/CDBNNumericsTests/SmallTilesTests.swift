import Testing

@testable import CDBNNumerics

@Suite struct SmallTilesTests {
  typealias T = BLAS.Transpose

  /// The tiled product against a naive loop in Double, for every transposition, with padded
  /// leading dimensions, α ≠ 1 and β ≠ 0. Shapes are chosen to split m, n or k (odd remainders
  /// included), and k = 0 must still scale C by β; entries of C outside its m × n window must keep
  /// their values.
  @Test(arguments: [
    (T.none, T.none, 20, 1003, 57),  // n split
    (T.none, T.none, 1003, 20, 57),  // m split
    (T.transposed, T.none, 33, 777, 45),  // n split, A transposed
    (T.transposed, T.none, 16, 16, 5000),  // k split
    (T.none, T.transposed, 24, 81, 400),  // W1's weight gradient: area split
    (T.none, T.transposed, 30, 50, 1401),  // area and k split
    (T.transposed, T.transposed, 17, 1201, 50),  // n split, both transposed
    (T.none, T.none, 7, 9, 11),  // one tile
    (T.none, T.none, 5, 6, 0),  // empty sum: C ← β·C
  ])
  func tiledProductMatchesNaiveLoop(transA: T, transB: T, m: Int, n: Int, k: Int) {
    let tiles = SmallTiles(transA: transA, transB: transB, m: m, n: n, k: k)
    if m * n * k > SmallTiles.volumeLimit {
      #expect(tiles != SmallTiles(m: m, n: n, k: k), "a shape meant to be split was not")
    }
    let (aRows, aColumns) = transA == .none ? (m, k) : (k, m)
    let (bRows, bColumns) = transB == .none ? (k, n) : (n, k)
    let (lda, ldb, ldc) = (aColumns + 3, bColumns + 5, n + 2)
    let a = values(max(1, aRows * lda), seed: 1)
    let b = values(max(1, bRows * ldb), seed: 2)
    let c0 = values(m * ldc, seed: 3)
    let (alpha, beta): (Float, Float) = (-0.5, 0.75)
    var c = c0
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          // The tiles themselves, whichever core this machine's OpenBLAS runs.
          BLAS.sgemm(
            transA, transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, lda: lda,
            b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc, tiles: tiles)
        }
      }
    }
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<ldc {
        guard j < n else {
          #expect(c[i * ldc + j] == c0[i * ldc + j], "padding of row \(i) changed")
          continue
        }
        var sum = 0.0
        for p in 0..<k {
          let x = transA == .none ? a[i * lda + p] : a[p * lda + i]
          let y = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
          sum += Double(x) * Double(y)
        }
        let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * ldc + j])
        worst = max(worst, abs(Double(c[i * ldc + j]) - expected))
      }
    }
    #expect(worst < 1e-4 * Double(max(k, 1)).squareRoot(), "largest error \(worst)")
  }

  /// Every tile stays inside OpenBLAS's small-matrix bounds on the benchmark's thin products, and
  /// products with no thin side are left whole.
  @Test func tilesRespectOpenBLASBounds() {
    let thin: [(T, T, Int, Int, Int)] = [
      (.none, .none, 24, 400, 81), (.transposed, .none, 81, 400, 24),
      (.none, .transposed, 24, 81, 400), (.none, .none, 24, 3136, 100),
      (.transposed, .none, 100, 3136, 24), (.none, .transposed, 24, 100, 3136),
    ]
    for (transA, transB, m, n, k) in thin {
      let t = SmallTiles(transA: transA, transB: transB, m: m, n: n, k: k)
      #expect(t.m * t.n * t.k <= SmallTiles.volumeLimit, "\(m)×\(n)×\(k) → \(t)")
      if transA == .none && transB == .transposed {
        #expect(t.m * t.n <= SmallTiles.transposedBAreaLimit, "\(m)×\(n)×\(k) → \(t)")
        #expect(t.k >= SmallTiles.transposedBMinimumK, "\(m)×\(n)×\(k) → \(t)")
      }
    }
    // W3's products (300 filters, 480-long patches, 300 positions) and a large square one.
    for (m, n, k) in [(300, 300, 480), (480, 300, 300), (2048, 2048, 2048)] {
      #expect(SmallTiles(transA: .none, transB: .none, m: m, n: n, k: k) == .init(m: m, n: n, k: k))
    }
  }

  private func values(_ count: Int, seed: UInt64) -> [Float] {
    var rng = RandomStream(seed: seed)
    return (0..<count).map { _ in rng.nextFloat() * 2 - 1 }
  }
}
