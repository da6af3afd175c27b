import Testing

@testable import CDBNNumerics

@Suite struct ActivePatchesTests {
  /// Random block states (about half the blocks on, a random member each) added as windows, against
  /// the naive full convolution of the same one-hot maps. Cases cover 8- and 16-lane rows, windows
  /// wider than 16 (two strips), ragged blocks whose windows pass the plane's edge, window heights
  /// that use every row group (4, 2 and 1 rows), 1-D and several channels.
  @Test(arguments: [
    ([3, 2, 9, 8], [3, 3, 3], [2, 2]),  // ragged: 7×6 detection map in 2×2 blocks
    ([2, 1, 28, 28], [4, 9, 9], [2, 2]),  // 16 lanes
    ([2, 3, 1, 40], [5, 1, 6], [1, 3]),  // 1-D, 8 lanes, ragged 35 / 3
    ([1, 2, 6, 30], [2, 2, 17], [1, 2]),  // a row wider than 16
    ([2, 1, 12, 11], [3, 3, 3], [3, 3]),  // 10×9 map in 3×3 blocks
    ([2, 1, 65, 65], [3, 10, 10], [2, 2]),  // W2's shape: 11-row windows
    ([1, 4, 13, 14], [6, 4, 5], [2, 3]),  // 5×7 windows, several channels
    ([2, 2, 21, 33], [3, 8, 12], [3, 2]),  // 10×13 windows, ragged both ways
    // Wide blocks on maps they do not divide: a strip of the last block starts past the output's
    // end (this trapped: 10 of 96 map/pooling pairs in a scan reported in issue 19, all pooling ≥ 7).
    ([1, 1, 28, 28], [2, 12, 12], [7, 7]),  // MNIST, 17×17 map in 7×7 blocks
    ([1, 1, 28, 28], [2, 12, 12], [9, 9]),
    ([2, 1, 20, 23], [3, 5, 5], [7, 5]),
    ([1, 2, 1, 50], [3, 1, 6], [1, 8]),  // 1-D, 45 frames in blocks of 8
  ])
  func patchesMatchTheNaiveFullConvolution(input: [Int], filter: [Int], pool: [Int]) {
    let (n, c, h, w) = (input[0], input[1], input[2], input[3])
    let (k, fh, fw) = (filter[0], filter[1], filter[2])
    let s = ConvolutionShape(
      channels: c, height: h, width: w, filters: k, filterHeight: fh, filterWidth: fw)
    let o = ColumnOrder.pooling(pool[0], pool[1]).geometry(s, count: n)
    let weights = random([k, c, fh, fw], seed: 7)
    var rng = RandomStream(seed: 8)
    var states = [Float](repeating: 0, count: k * o.length)
    var maps = Tensor(zeros: [n, k, s.outputHeight, s.outputWidth])
    for kk in 0..<k {
      for e in 0..<n {
        for bi in 0..<o.blocksHigh {
          for bj in 0..<o.blocksWide where rng.nextFloat() < 0.5 {
            // A member that exists (ragged blocks have fewer).
            let members = (0..<o.offsets).filter {
              bi * pool[0] + $0 / pool[1] < s.outputHeight
                && bj * pool[1] + $0 % pool[1] < s.outputWidth
            }
            let m = members[Int(rng.nextFloat() * Float(members.count)) % members.count]
            states[kk * o.length + e * o.blocks + bi * o.blocksWide + bj] = Float(m + 1)
            maps[e, kk, bi * pool[0] + m / pool[1], bj * pool[1] + m % pool[1]] = 1
          }
        }
      }
    }
    let patches = ActivePatches(shape: s, poolHeight: pool[0], poolWidth: pool[1])
    weights.scalars.withUnsafeBufferPointer { patches.load(filters: $0.baseAddress!) }
    // Every instruction-set path the CPU has (the C kernel is compiled once per path).
    let before = KernelInstructionSet.current
    defer { KernelInstructionSet.select(before) }
    let outputs = KernelInstructionSet.names.compactMap { name -> [Float]? in
      guard KernelInstructionSet.select(name) == name else { return nil }
      var output = [Float](repeating: 0.25, count: n * s.inputSize)
      // Scratch full of garbage: `add` must write what it reads.
      var scratch = [Int](repeating: .max, count: patches.scratchCount)
      states.withUnsafeBufferPointer { st in
        output.withUnsafeMutableBufferPointer { out in
          scratch.withUnsafeMutableBufferPointer {
            patches.add(
              states: st.baseAddress!, geometry: o, output: out.baseAddress!,
              scratch: $0.baseAddress!)
          }
        }
      }
      return output
    }
    let expected = Naive.full(maps, weights)
    var worst: Float = 0
    for i in 0..<expected.count {
      worst = max(worst, abs(outputs[0][i] - 0.25 - expected.scalars[i]))
    }
    #expect(worst < 1e-4)
    // The paths give the same bits.
    #expect(!outputs.isEmpty && outputs.allSatisfy { $0 == outputs[0] })
  }

  @Test func costModelPrefersWindowsUnlessManyLargeCopiesAreSummed() {
    let s = ConvolutionShape(
      channels: 1, height: 28, width: 28, filters: 24, filterHeight: 9, filterWidth: 9)
    let w1 = ActivePatches(shape: s, poolHeight: 2, poolWidth: 2)
    // W1: even with every block on (100 blocks of 24 groups per example) the windows are cheaper.
    #expect(w1.isCheaper(active: 2400 * 2, examples: 2))
    // W3's 300 groups of 80 channels: windows only when few units are on.
    let audio = ConvolutionShape(
      channels: 80, height: 1, width: 305, filters: 300, filterHeight: 1, filterWidth: 6)
    let w3 = ActivePatches(shape: audio, poolHeight: 1, poolWidth: 3)
    #expect(w3.isCheaper(active: 300, examples: 1))
    #expect(!w3.isCheaper(active: 300 * 100, examples: 1))
  }
}
