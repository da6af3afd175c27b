/// Spatial-pyramid pooling (Lazebnik et al. 2006; Yang et al. 2009; Lee et al. 2009 on Caltech-101):
/// maps of any size become one fixed-length vector by pooling each map over a g×g grid of cells for
/// every level g.
///
/// A map of H rows split into g cells gives cell i the rows ⌊i·H/g⌋ ..< ⌈(i+1)·H/g⌉ (columns
/// likewise), so the cells cover the map, are never empty (even when H < g), and overlap by a row
/// where g does not divide H. The vector holds, level by level in the order given, cell by cell
/// (row-major), every channel's pooled value: `levels.map { $0 * $0 }.sum × channels` values.
public struct SpatialPyramid: Sendable, Equatable {
  public enum Pooling: String, Sendable, CaseIterable {
    /// The largest value in the cell (Yang et al.'s max pooling; what the SVM sees of a part
    /// anywhere in the cell).
    case max
    /// The mean of the cell.
    case mean
  }

  /// Grid sizes, such as [1, 2, 4].
  public let levels: [Int]
  public let pooling: Pooling

  /// Nil when a level is not in 1...64 or the list is empty or repeats a level.
  public init?(levels: [Int], pooling: Pooling = .max) {
    guard !levels.isEmpty, levels.allSatisfy({ (1...64).contains($0) }),
      Set(levels).count == levels.count
    else { return nil }
    self.levels = levels
    self.pooling = pooling
  }

  /// Cells over all levels.
  public var cells: Int { levels.reduce(0) { $0 + $1 * $1 } }

  /// Length of the pooled vector of `channels` maps.
  public func length(channels: Int) -> Int { cells * channels }

  /// Pools `maps` ([channels, height, width], row-major) into `length(channels:)` values.
  public func pooled(_ maps: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int)
    -> [Float]
  {
    precondition(height > 0 && width > 0 && maps.count == channels * height * width)
    var out = [Float]()
    out.reserveCapacity(length(channels: channels))
    for g in levels {
      for cy in 0..<g {
        let rows = Self.cell(cy, of: g, size: height)
        for cx in 0..<g {
          let columns = Self.cell(cx, of: g, size: width)
          let area = Float(rows.count * columns.count)
          for c in 0..<channels {
            var value: Float = pooling == .max ? -.infinity : 0
            for y in rows {
              let row = (c * height + y) * width
              for x in columns {
                let v = maps[row + x]
                value = pooling == .max ? Swift.max(value, v) : value + v
              }
            }
            out.append(pooling == .max ? value : value / area)
          }
        }
      }
    }
    return out
  }

  /// The rows (or columns) of cell `i` of `g` over `size`: ⌊i·size/g⌋ ..< ⌈(i+1)·size/g⌉.
  static func cell(_ i: Int, of g: Int, size: Int) -> Range<Int> {
    (i * size / g)..<(((i + 1) * size + g - 1) / g)
  }
}
