import CDBNNumerics
import Testing

@testable import CDBNModels

@Suite struct PreprocessingTests {
  /// A horizontal ramp with a little texture: its left and right borders differ by the whole ramp.
  static func ramp(height h: Int, width w: Int) -> [Float] {
    (0..<(h * w)).map { i in Float(i % w) / Float(w) + 0.05 * Float((i * 37) % 11) / 11 }
  }

  /// Mean |value| of the first and last columns.
  static func border(_ v: [Float], _ h: Int, _ w: Int) -> Float {
    (0..<h).reduce(0) { $0 + abs(v[$1 * w]) + abs(v[$1 * w + w - 1]) } / Float(2 * h)
  }

  @Test func mirrorEdgesRemoveTheWrapAroundEdgeOfPeriodicWhitening() {
    let (h, w) = (24, 32)
    let plane = Self.ramp(height: h, width: w)
    let periodic = Preprocessing.whitened(plane, h, w, 0.4)
    let mirror = Preprocessing.whitenedMirror(plane, h, w, 0.4)
    // The periodic filter sees a jump of 1 between the last column and the first; the mirror
    // extension only a change of slope.
    let (p, m) = (Self.border(periodic, h, w), Self.border(mirror, h, w))
    #expect(m < p / 3, "border |value| periodic \(p), mirror \(m)")
    // The mirror extension, whitened periodically and cut back by hand, is the same thing.
    var extended = [Float](repeating: 0, count: 4 * h * w)
    for y in 0..<(2 * h) {
      for x in 0..<(2 * w) {
        let (sy, sx) = (min(y, 2 * h - 1 - y), min(x, 2 * w - 1 - x))
        extended[y * 2 * w + x] = plane[sy * w + sx]
      }
    }
    let whole = Preprocessing.whitened(extended, 2 * h, 2 * w, 0.4)
    let cut = (0..<h).flatMap { y in whole[(y * 2 * w)..<(y * 2 * w + w)] }
    #expect(zip(cut, mirror).allSatisfy { abs($0 - $1) < 1e-5 })
  }

  @Test func theKindNamesTheEdgesAndReadsBack() throws {
    let p = Preprocessing(whitenCutoff: 0.4, mirrorEdges: true, unitVariance: true)
    #expect(p.kind == "whiten-1/f-mirror+unit-variance")
    #expect(Preprocessing.reads(kind: p.kind))
    #expect(Preprocessing(whitenCutoff: 0.4).kind == "whiten-1/f")
  }
}
