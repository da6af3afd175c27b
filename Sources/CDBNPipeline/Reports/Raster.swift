/// An RGB picture with lines, dashes and a 3×5 pixel font drawn twice its size.
struct Raster {
  let width: Int
  let height: Int
  var pixels: [UInt8]

  init(width: Int, height: Int) {
    self.width = width
    self.height = height
    pixels = [UInt8](repeating: 255, count: width * height * 3)
  }

  mutating func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
    guard x >= 0, y >= 0, x < width, y < height else { return }
    let i = (y * width + x) * 3
    (pixels[i], pixels[i + 1], pixels[i + 2]) = color
  }

  /// A straight line; `dashed`: runs of 4 pixels on, 4 off.
  mutating func line(
    _ a: (x: Int, y: Int), _ b: (x: Int, y: Int), _ color: (UInt8, UInt8, UInt8),
    dashed: Bool = false
  ) {
    let steps = max(abs(b.x - a.x), abs(b.y - a.y), 1)
    for s in 0...steps where !dashed || (s / 4) % 2 == 0 {
      let t = Double(s) / Double(steps)
      set(
        a.x + Int((Double(b.x - a.x) * t).rounded()), a.y + Int((Double(b.y - a.y) * t).rounded()),
        color)
    }
  }

  /// `text` (upper case, digits, . - + : ( ) / =) with its top-left corner at (x, y).
  mutating func text(
    _ text: String, at x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8) = (0, 0, 0)
  ) {
    for (i, character) in text.uppercased().enumerated() {
      guard let rows = Self.font[character] else { continue }
      for (r, bits) in rows.enumerated() {
        for c in 0..<3 where bits & (4 >> c) != 0 {
          for dy in 0..<2 { for dx in 0..<2 { set(x + i * 8 + c * 2 + dx, y + r * 2 + dy, color) } }
        }
      }
    }
  }

  /// One panel: a frame, its title, the y range at the corners, the epochs along the bottom, and
  /// `series` (one value per epoch) as a line, with `target` dashed.
  mutating func panel(
    at origin: (x: Int, y: Int), title: String, series: [Double], target: Double? = nil
  ) {
    let (w, h) = (TrainingCurves.panelWidth, TrainingCurves.panelHeight)
    let black: (UInt8, UInt8, UInt8) = (0, 0, 0)
    let (x0, y0) = origin
    line((x0, y0), (x0 + w, y0), black)
    line((x0, y0 + h), (x0 + w, y0 + h), black)
    line((x0, y0), (x0, y0 + h), black)
    line((x0 + w, y0), (x0 + w, y0 + h), black)
    text(title, at: x0, y0 - 14)
    let finite = series.filter(\.isFinite) + (target.map { [$0] } ?? [])
    guard var low = finite.min(), var high = finite.max() else { return }
    if high - low < 1e-12 * max(1, abs(high)) {
      low -= max(abs(low) * 0.05, 1e-6)
      high += max(abs(high) * 0.05, 1e-6)
    }
    text(Self.number(high), at: x0 + 4, y0 + 4)
    text(Self.number(low), at: x0 + 4, y0 + h - 14)
    text("EPOCH 1", at: x0, y0 + h + 6)
    let last = "\(series.count)"
    text(last, at: x0 + w - 8 * last.count, y0 + h + 6)
    func point(_ i: Int, _ v: Double) -> (x: Int, y: Int) {
      let fx = series.count > 1 ? Double(i) / Double(series.count - 1) : 0.5
      let fy = (v - low) / (high - low)
      return (x0 + Int(fx * Double(w)), y0 + h - Int(fy * Double(h)))
    }
    if let target {
      let y = point(0, target).y
      line((x0, y), (x0 + w, y), (200, 30, 30), dashed: true)
    }
    let blue: (UInt8, UInt8, UInt8) = (20, 60, 200)
    for i in series.indices where series[i].isFinite {
      let p = point(i, series[i])
      for dy in -1...1 { for dx in -1...1 { set(p.x + dx, p.y + dy, blue) } }
      if i > 0, series[i - 1].isFinite { line(point(i - 1, series[i - 1]), p, blue) }
    }
  }

  /// A histogram panel: `counts` as bars over [low, high] along the bottom, with its title, the
  /// tallest count and the range's ends written on it.
  mutating func histogram(
    at origin: (x: Int, y: Int), title: String, counts: [Int], low: Double, high: Double
  ) {
    let (w, h) = (TrainingCurves.panelWidth, TrainingCurves.panelHeight)
    let black: (UInt8, UInt8, UInt8) = (0, 0, 0)
    let (x0, y0) = origin
    line((x0, y0 + h), (x0 + w, y0 + h), black)
    line((x0, y0), (x0, y0 + h), black)
    text(title, at: x0, y0 - 14)
    let tallest = max(1, counts.max() ?? 1)
    text("\(tallest)", at: x0 + 4, y0 + 4)
    text(Self.number(low), at: x0, y0 + h + 6)
    let end = Self.number(high)
    text(end, at: x0 + w - 8 * end.count, y0 + h + 6)
    let barWidth = max(1, w / max(1, counts.count))
    for (b, count) in counts.enumerated() where count > 0 {
      let top = y0 + h - Int((Double(count) / Double(tallest) * Double(h - 16)).rounded())
      for x in (x0 + b * barWidth + 1)..<(x0 + (b + 1) * barWidth) {
        for y in top..<(y0 + h) { set(x, y, (20, 60, 200)) }
      }
    }
  }

  static func number(_ v: Double) -> String {
    abs(v) >= 0.01 && abs(v) < 10000 ? String(format: "%.4g", v) : String(format: "%.2E", v)
  }

  /// 3×5 glyphs, one row of three bits (left = 4) per entry.
  static let font: [Character: [UInt8]] = [
    "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
    "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1],
    "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7], "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6],
    "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7], "F": [7, 4, 6, 4, 4],
    "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2],
    "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5],
    "O": [2, 5, 5, 5, 2], "P": [6, 5, 6, 4, 4], "Q": [2, 5, 5, 6, 3], "R": [6, 5, 6, 5, 5],
    "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2], "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2],
    "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2], "Z": [7, 1, 2, 4, 7],
    ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], "+": [0, 2, 7, 2, 0], ":": [0, 2, 0, 2, 0],
    "(": [1, 2, 2, 2, 1], ")": [4, 2, 2, 2, 4], "/": [1, 1, 2, 4, 4], "=": [0, 7, 0, 7, 0],
    " ": [0, 0, 0, 0, 0],
  ]
}
