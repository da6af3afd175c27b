import Testing

@testable import CDBNNumerics

@Suite struct SpatialPyramidTests {
  /// Pools by brute force: every cell's values listed from the cell rule written out by hand.
  static func naive(
    _ maps: [Float], channels: Int, height: Int, width: Int, levels: [Int], max: Bool
  ) -> [Float] {
    var out: [Float] = []
    for g in levels {
      for cy in 0..<g {
        for cx in 0..<g {
          let y0 = Int((Double(cy * height) / Double(g)).rounded(.down))
          let y1 = Int((Double((cy + 1) * height) / Double(g)).rounded(.up))
          let x0 = Int((Double(cx * width) / Double(g)).rounded(.down))
          let x1 = Int((Double((cx + 1) * width) / Double(g)).rounded(.up))
          for c in 0..<channels {
            var values: [Float] = []
            for y in y0..<y1 {
              for x in x0..<x1 { values.append(maps[(c * height + y) * width + x]) }
            }
            out.append(max ? values.max()! : values.reduce(0, +) / Float(values.count))
          }
        }
      }
    }
    return out
  }

  @Test func handComputedTwoByTwoOnThreeByFour() throws {
    // One channel, 3 rows × 4 columns:
    //   0 1 2 3
    //   4 5 6 7
    //   8 9 10 11
    // Level 2: rows [0, 2) and [1, 3) (3 is not divisible by 2, the middle row is shared);
    // columns [0, 2) and [2, 4).
    let maps: [Float] = (0..<12).map(Float.init)
    let pyramid = try #require(SpatialPyramid(levels: [1, 2], pooling: .max))
    let pooled = maps.withUnsafeBufferPointer {
      pyramid.pooled($0, channels: 1, height: 3, width: 4)
    }
    #expect(pooled == [11, 5, 7, 9, 11])
    let mean = try #require(SpatialPyramid(levels: [1, 2], pooling: .mean))
    let means = maps.withUnsafeBufferPointer { mean.pooled($0, channels: 1, height: 3, width: 4) }
    // Cell (0, 0) holds 0 1 4 5; (0, 1) holds 2 3 6 7; (1, 0) 4 5 8 9; (1, 1) 6 7 10 11.
    #expect(means == [5.5, 2.5, 4.5, 6.5, 8.5])
  }

  @Test func gridFinerThanTheMapRepeatsPixels() throws {
    // A 1×2 map on a 4×4 grid: every cell is one pixel, none is empty.
    let maps: [Float] = [3, -1]
    let pyramid = try #require(SpatialPyramid(levels: [4]))
    let pooled = maps.withUnsafeBufferPointer {
      pyramid.pooled($0, channels: 1, height: 1, width: 2)
    }
    #expect(pooled == [3, 3, -1, -1, 3, 3, -1, -1, 3, 3, -1, -1, 3, 3, -1, -1])
  }

  @Test func matchesNaiveOnRandomShapes() throws {
    var rng = RandomStream(seed: 7, stream: 1)
    for (c, h, w) in [(3, 7, 5), (2, 1, 9), (4, 16, 16), (1, 5, 3)] {
      let maps = (0..<(c * h * w)).map { _ in rng.nextFloat() * 2 - 1 }
      for useMax in [true, false] {
        let pyramid = try #require(
          SpatialPyramid(levels: [1, 2, 4], pooling: useMax ? .max : .mean))
        let pooled = maps.withUnsafeBufferPointer {
          pyramid.pooled($0, channels: c, height: h, width: w)
        }
        let expected = Self.naive(
          maps, channels: c, height: h, width: w, levels: [1, 2, 4], max: useMax)
        #expect(pooled.count == pyramid.length(channels: c) && pooled.count == 21 * c)
        #expect(zip(pooled, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
      }
    }
  }

  @Test func refusesBadLevels() {
    #expect(SpatialPyramid(levels: []) == nil)
    #expect(SpatialPyramid(levels: [0, 2]) == nil)
    #expect(SpatialPyramid(levels: [2, 2]) == nil)
    #expect(SpatialPyramid(levels: [65]) == nil)
  }
}
