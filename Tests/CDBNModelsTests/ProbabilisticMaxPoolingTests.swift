import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics

/// Marginals of a plane by enumerating every allowed joint state: each block off, or exactly one of
/// its units on; P(state) ∝ exp(Σ I over the units that are on).
func bruteForceMarginals(_ inputs: [Double], _ g: PoolingShape) -> (
  hidden: [Double], pooled: [Double]
) {
  var blocks: [[Int]] = []
  for bi in 0..<g.pooledHeight {
    for bj in 0..<g.pooledWidth {
      var units: [Int] = []
      for i in (bi * g.poolHeight)..<min((bi + 1) * g.poolHeight, g.height) {
        for j in (bj * g.poolWidth)..<min((bj + 1) * g.poolWidth, g.width) {
          units.append(i * g.width + j)
        }
      }
      blocks.append(units)
    }
  }
  var hidden = [Double](repeating: 0, count: inputs.count)
  var pooled = [Double](repeating: 0, count: blocks.count)
  var z = 0.0
  // Energies can be huge: work relative to the largest exponent seen.
  var states: [([Int], Double)] = []
  func walk(_ b: Int, _ on: [Int], _ energy: Double) {
    if b == blocks.count {
      states.append((on, energy))
      return
    }
    walk(b + 1, on, energy)
    for u in blocks[b] { walk(b + 1, on + [u], energy + inputs[u]) }
  }
  walk(0, [], 0)
  let top = states.map(\.1).max()!
  for (on, energy) in states {
    let p = exp(energy - top)
    z += p
    for u in on { hidden[u] += p }
    for (bi, units) in blocks.enumerated() where on.contains(where: units.contains) {
      pooled[bi] += p
    }
  }
  return (hidden.map { $0 / z }, pooled.map { $0 / z })
}

@Suite struct ProbabilisticMaxPoolingTests {
  static let shapes: [PoolingShape] = [
    PoolingShape(height: 2, width: 4, poolHeight: 2, poolWidth: 2),
    PoolingShape(height: 1, width: 9, poolHeight: 1, poolWidth: 3),
    PoolingShape(height: 3, width: 5, poolHeight: 2, poolWidth: 2),  // ragged edge blocks
    PoolingShape(height: 4, width: 2, poolHeight: 2, poolWidth: 1),
  ]

  @Test(arguments: shapes, [Float(1), 40, 500])
  func probabilitiesMatchEnumeration(_ g: PoolingShape, spread: Float) throws {
    var rng = RandomStream(seed: UInt64(g.plane) &* 31 &+ UInt64(spread))
    let bias: Float = -0.3
    let scale: Float = 0.5
    let raw = (0..<g.plane).map { _ in spread * rng.nextNormal() }
    var values = raw
    var pooled = [Float](repeating: 0, count: g.pooledPlane)
    var off = [Float](repeating: 0, count: g.pooledPlane)
    values.withUnsafeMutableBufferPointer { v in
      pooled.withUnsafeMutableBufferPointer { p in
        off.withUnsafeMutableBufferPointer { o in
          [bias].withUnsafeBufferPointer { b in
            ProbabilisticMaxPooling.probabilities(
              g, count: 1, values: v.baseAddress!, bias: b.baseAddress!, scale: scale,
              pooled: p.baseAddress!, off: o.baseAddress!)
          }
        }
      }
    }
    let expected = bruteForceMarginals(raw.map { Double(($0 + bias) * scale) }, g)
    for i in 0..<g.plane {
      #expect(values[i].isFinite)
      #expect(abs(Double(values[i]) - expected.hidden[i]) < 1e-5, "unit \(i)")
    }
    for q in 0..<g.pooledPlane {
      #expect(abs(Double(pooled[q]) - expected.pooled[q]) < 1e-5, "block \(q)")
      #expect(abs(Double(off[q]) - (1 - expected.pooled[q])) < 1e-5, "block \(q) off")
    }
  }

  @Test(arguments: [
    PoolingShape(height: 2, width: 2, poolHeight: 2, poolWidth: 2),
    PoolingShape(height: 1, width: 3, poolHeight: 1, poolWidth: 3),
  ])
  func samplingFrequenciesMatchProbabilities(_ g: PoolingShape) {
    var values: [Float] = [0.5, -1, 1.2, 0.1].prefix(g.plane).map { $0 }
    var off = [Float](repeating: 0, count: 1)
    values.withUnsafeMutableBufferPointer { v in
      off.withUnsafeMutableBufferPointer { o in
        ProbabilisticMaxPooling.probabilities(
          g, count: 1, values: v.baseAddress!, bias: nil, pooled: nil, off: o.baseAddress!)
      }
    }
    var rng = RandomStream(seed: 77)
    let draws = 200_000
    var counts = [Int](repeating: 0, count: g.plane + 1)
    var sample = [Float](repeating: 0, count: g.plane)
    var pooled: [Float] = [0]
    for _ in 0..<draws {
      sample.withUnsafeMutableBufferPointer { s in
        pooled.withUnsafeMutableBufferPointer { p in
          ProbabilisticMaxPooling.sample(
            g, count: 1, probabilities: values, off: off, rng: &rng, hidden: s.baseAddress!,
            pooled: p.baseAddress!)
        }
      }
      let on = sample.indices.filter { sample[$0] == 1 }
      #expect(on.count <= 1)
      #expect(pooled[0] == (on.isEmpty ? 0 : 1))
      counts[on.first.map { $0 + 1 } ?? 0] += 1
    }
    let probabilities = [Double(off[0])] + values.map(Double.init)
    for (state, p) in probabilities.enumerated() {
      let frequency = Double(counts[state]) / Double(draws)
      let tolerance = 5 * (p * (1 - p) / Double(draws)).squareRoot() + 1e-4
      #expect(abs(frequency - p) < tolerance, "state \(state): \(frequency) vs \(p)")
    }
  }
  /// Rows of 12–85 blocks, several rows, ragged and not: the windows of a row (whole ones, then the
  /// last 16 columns overlapping them) against each block's own softmax in Double, which is what the
  /// enumeration above reduces to (blocks are independent given v). Rows shorter than a window and
  /// blocks of more than 64 members go position by position.
  @Test(arguments: [
    PoolingShape(height: 6, width: 22, poolHeight: 2, poolWidth: 2),  // 33 blocks
    PoolingShape(height: 1, width: 62, poolHeight: 1, poolWidth: 3),  // 21, the last ragged
    PoolingShape(height: 5, width: 7, poolHeight: 2, poolWidth: 2),  // 12 blocks, one vector
    PoolingShape(height: 8, width: 8, poolHeight: 2, poolWidth: 1),  // 32: whole vectors only
    PoolingShape(height: 7, width: 9, poolHeight: 3, poolWidth: 3),  // 9 members, ragged rows
    PoolingShape(height: 5, width: 17, poolHeight: 1, poolWidth: 1),  // 85 one-unit blocks
    PoolingShape(height: 9, width: 160, poolHeight: 9, poolWidth: 9),  // 81 members: position by position
  ])
  func longRowsMatchEachBlocksSoftmax(_ g: PoolingShape) {
    let rows = 3
    let o = g.blockGeometry
    var rng = RandomStream(seed: UInt64(g.plane))
    let raw = (0..<(rows * o.columns)).map { _ in 3 * rng.nextNormal() }
    let bias: [Float] = [0.2, -0.4, 0.1]
    var values = raw
    var off = [Float](repeating: .nan, count: rows * o.length)
    var pooled = [Float](repeating: .nan, count: rows * o.length)
    var validity = [Float](repeating: 0, count: o.columns)
    let valid = validity.withUnsafeMutableBufferPointer { o.validity(into: $0.baseAddress!) != nil }
    values.withUnsafeMutableBufferPointer { v in
      ProbabilisticMaxPooling.blockProbabilities(
        rows: rows, offsets: o.offsets, length: o.length, values: v.baseAddress!, bias: bias,
        scale: 0.7, valid: valid ? validity : nil, off: &off, pooled: &pooled)
    }
    for r in 0..<rows {
      for q in 0..<o.length {
        let members = (0..<o.offsets).filter { !valid || validity[$0 * o.length + q] == 1 }
        let inputs = members.map {
          Double((raw[(r * o.offsets + $0) * o.length + q] + bias[r]) * 0.7)
        }
        let top = max(0, inputs.max()!)
        let z = exp(-top) + inputs.map { exp($0 - top) }.reduce(0, +)
        #expect(abs(Double(off[r * o.length + q]) - exp(-top) / z) < 1e-5, "row \(r) block \(q)")
        #expect(abs(Double(pooled[r * o.length + q]) - (1 - exp(-top) / z)) < 1e-5)
        for m in 0..<o.offsets {
          let index = (r * o.offsets + m) * o.length + q
          let expected = members.firstIndex(of: m).map { exp(inputs[$0] - top) / z } ?? 0
          #expect(abs(Double(values[index]) - expected) < 1e-5, "row \(r) block \(q) unit \(m)")
        }
      }
    }

    // Sampling: the same uniforms walked through each block's cumulative distribution by hand.
    var states = [Float](repeating: .nan, count: rows * o.length)
    var uniforms = [Float](repeating: 0, count: o.length)
    var sampler = RandomStream(seed: 5)
    let on = ProbabilisticMaxPooling.blockSample(
      rows: rows, offsets: o.offsets, length: o.length, probabilities: values, off: off,
      valid: valid ? validity : nil, uniforms: &uniforms, rng: &sampler, states: &states)
    var reference = RandomStream(seed: 5)
    var expectedOn = 0
    for r in 0..<rows {
      var u = [Float](repeating: 0, count: o.length)
      u.withUnsafeMutableBufferPointer { reference.fillUniform($0) }
      for q in 0..<o.length {
        var cumulative = off[r * o.length + q]
        var state: Float = u[q] < cumulative ? 0 : -1
        for m in 0..<o.offsets where state < 0 {
          cumulative += values[(r * o.offsets + m) * o.length + q]
          if u[q] < cumulative { state = Float(m + 1) }
        }
        if state < 0 {
          state = Float((0..<o.offsets).last { !valid || validity[$0 * o.length + q] == 1 }! + 1)
        }
        #expect(states[r * o.length + q] == state, "row \(r) block \(q)")
        if state > 0 { expectedOn += 1 }
      }
    }
    #expect(on == expectedOn)
  }

  /// The kernel compiled for each instruction set this CPU has (baseline, AVX2, AVX-512) gives the
  /// same bits, on windows, on the overlapping last window, and position by position.
  @Test func everyInstructionSetComputesTheSameBits() {
    let before = KernelInstructionSet.current
    defer { KernelInstructionSet.select(before) }
    let g = PoolingShape(height: 6, width: 22, poolHeight: 2, poolWidth: 2)
    let o = g.blockGeometry
    var rng = RandomStream(seed: 5)
    let raw = (0..<(2 * o.columns)).map { _ in 30 * rng.nextNormal() }
    func run(_ name: String) -> [Float]? {
      guard KernelInstructionSet.select(name) == name else { return nil }
      var values = raw
      var off = [Float](repeating: 0, count: 2 * o.length)
      var pooled = off
      values.withUnsafeMutableBufferPointer { v in
        ProbabilisticMaxPooling.blockProbabilities(
          rows: 2, offsets: o.offsets, length: o.length, values: v.baseAddress!, bias: [0.5, -1],
          scale: 0.3, valid: nil, off: &off, pooled: &pooled)
      }
      return values + off + pooled
    }
    let results = KernelInstructionSet.names.compactMap(run)
    #expect(!results.isEmpty)
    for r in results.dropFirst() {
      #expect(r.map(\.bitPattern) == results[0].map(\.bitPattern))
    }
  }
}
