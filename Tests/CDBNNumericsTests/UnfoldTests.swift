import Testing

@testable import CDBNNumerics

@Suite struct UnfoldTests {
  /// im2col and col2imAdd against their definitions, element by element, in raster and block-major
  /// orders. Output widths 3–70 give runs of every copy path (under 4, 4–7, 8–15, 16 and longer,
  /// whole multiples of 16 and not); ragged blocks leave their missing members' columns untouched.
  @Test(arguments: [
    ([2, 2, 5, 7], [2, 3], [1, 1]),  // raster runs of 5
    ([1, 2, 5, 5], [3, 3], [1, 1]),  // raster runs of 3
    ([2, 1, 6, 6], [3, 3], [2, 2]),  // runs of 2
    ([2, 1, 9, 40], [3, 5], [1, 1]),  // raster runs of 36
    ([3, 2, 8, 30], [3, 3], [2, 2]),  // runs of 14
    ([2, 1, 7, 25], [2, 4], [2, 2]),  // ragged: 6×22 map, runs of 11
    ([2, 3, 1, 74], [1, 5], [1, 3]),  // 1-D, ragged 70 / 3: runs of 24 and 23
    ([1, 2, 6, 12], [2, 3], [1, 2]),  // runs of 5
    ([2, 1, 11, 52], [3, 4], [3, 1]),  // 9×49 map in 3×1 blocks: runs of 49
    ([1, 1, 4, 35], [1, 3], [1, 2]),  // runs of 17 and 16
  ])
  func unfoldMatchesItsDefinition(input: [Int], filter: [Int], pool: [Int]) {
    let (n, c, h, w) = (input[0], input[1], input[2], input[3])
    let s = ConvolutionShape(
      channels: c, height: h, width: w, filters: 1, filterHeight: filter[0],
      filterWidth: filter[1])
    let order = ColumnOrder.pooling(pool[0], pool[1])
    let o = order.geometry(s, count: n)
    let x = random([n, c, h, w], seed: 3)
    let sentinel: Float = 1234
    var columns = [Float](repeating: sentinel, count: s.patchSize * o.columns)
    x.scalars.withUnsafeBufferPointer { xp in
      columns.withUnsafeMutableBufferPointer {
        Unfold.im2col(
          s, count: n, input: xp.baseAddress!, columns: $0.baseAddress!, order: order)
      }
    }
    var expected = [Float](repeating: sentinel, count: columns.count)
    forEachEntry(s, o) { column, pixel in expected[column] = x.scalars[pixel] }
    #expect(columns == expected)

    // The adjoint: every existing column's entry is added back onto the pixel it was copied from.
    let y = random([s.patchSize, o.columns], seed: 4)
    var back = [Float](repeating: 0.5, count: n * s.inputSize)
    var naive = back
    y.scalars.withUnsafeBufferPointer { yp in
      back.withUnsafeMutableBufferPointer {
        Unfold.col2imAdd(
          s, count: n, columns: yp.baseAddress!, output: $0.baseAddress!, order: order)
      }
    }
    forEachEntry(s, o) { column, pixel in naive[pixel] += y.scalars[column] }
    var worst: Float = 0
    for i in 0..<naive.count { worst = max(worst, abs(back[i] - naive[i])) }
    #expect(worst < 1e-4)
  }

  /// Calls `body(entry, pixel)` for every entry of the unfolded matrix that exists, with the index
  /// of the input pixel [count, C, H, W] it copies: row (c, a, b), column of position (e, i, j)
  /// holds pixel (e, c, i + a, j + b).
  func forEachEntry(
    _ s: ConvolutionShape, _ o: ColumnGeometry, _ body: (_ entry: Int, _ pixel: Int) -> Void
  ) {
    for e in 0..<o.count {
      for c in 0..<s.channels {
        for a in 0..<s.filterHeight {
          for b in 0..<s.filterWidth {
            let row = (c * s.filterHeight + a) * s.filterWidth + b
            for i in 0..<s.outputHeight {
              for j in 0..<s.outputWidth {
                body(
                  row * o.columns + o.column(example: e, row: i, column: j),
                  e * s.inputSize + (c * s.height + i + a) * s.width + j + b)
              }
            }
          }
        }
      }
    }
  }
}
