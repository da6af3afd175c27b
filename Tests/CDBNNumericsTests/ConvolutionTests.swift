import Testing

@testable import CDBNNumerics

/// Slow, obviously-correct loops that the fast kernels are checked against.
enum Naive {
  static func correlate(_ x: Tensor, _ w: Tensor) -> Tensor {
    let (n, c, h, wd) = x.dims4
    let (k, _, fh, fw) = w.dims4
    var out = Tensor(zeros: [n, k, h - fh + 1, wd - fw + 1])
    for e in 0..<n {
      for kk in 0..<k {
        for i in 0...(h - fh) {
          for j in 0...(wd - fw) {
            var s: Float = 0
            for ch in 0..<c {
              for a in 0..<fh { for b in 0..<fw { s += w[kk, ch, a, b] * x[e, ch, i + a, j + b] } }
            }
            out[e, kk, i, j] = s
          }
        }
      }
    }
    return out
  }

  /// out[n,c,y,x] = Σ_k Σ_{a,b} W[k,c,a,b]·maps[n,k,y−a,x−b], written as the scatter it is.
  static func full(_ maps: Tensor, _ w: Tensor) -> Tensor {
    let (n, k, ho, wo) = maps.dims4
    let (_, c, fh, fw) = w.dims4
    var out = Tensor(zeros: [n, c, ho + fh - 1, wo + fw - 1])
    for e in 0..<n {
      for kk in 0..<k {
        for i in 0..<ho {
          for j in 0..<wo {
            for ch in 0..<c {
              for a in 0..<fh {
                for b in 0..<fw { out[e, ch, i + a, j + b] += w[kk, ch, a, b] * maps[e, kk, i, j] }
              }
            }
          }
        }
      }
    }
    return out
  }

  static func weightGradient(_ x: Tensor, _ maps: Tensor, fh: Int, fw: Int) -> Tensor {
    let (n, c, _, _) = x.dims4
    let (_, k, ho, wo) = maps.dims4
    var g = Tensor(zeros: [k, c, fh, fw])
    for e in 0..<n {
      for kk in 0..<k {
        for ch in 0..<c {
          for a in 0..<fh {
            for b in 0..<fw {
              var s: Float = 0
              for i in 0..<ho {
                for j in 0..<wo { s += maps[e, kk, i, j] * x[e, ch, i + a, j + b] }
              }
              g[kk, ch, a, b] += s
            }
          }
        }
      }
    }
    return g
  }
}

func random(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = RandomStream(seed: seed)
  var t = Tensor(zeros: shape)
  for i in 0..<t.count { t.scalars[i] = rng.nextNormal() }
  return t
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
  precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
  return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// (input [N, C, H, W], filter [K, fh, fw]) cases: 2-D, 1-D (height 1), multi-channel, odd sizes,
/// filter as large as the input, and a batch big enough to be cut into several chunks.
let convolutionCases: [([Int], [Int])] = [
  ([2, 1, 7, 9], [3, 3, 2]),
  ([3, 3, 11, 6], [4, 5, 3]),
  ([2, 5, 1, 17], [6, 1, 4]),
  ([1, 2, 5, 5], [2, 5, 5]),
  ([5, 80, 1, 12], [7, 1, 6]),
  ([40, 2, 13, 13], [3, 4, 4]),
]

@Suite struct ConvolutionTests {
  @Test(arguments: convolutionCases)
  func correlationMatchesNaiveLoops(input: [Int], filter: [Int]) {
    let x = random(input, seed: 1)
    let w = random([filter[0], input[1], filter[1], filter[2]], seed: 2)
    let fast = Convolution.correlateValid(x, w)
    #expect(maxDifference(fast, Naive.correlate(x, w)) < 1e-3)
  }

  @Test(arguments: convolutionCases)
  func fullConvolutionMatchesNaiveLoops(input: [Int], filter: [Int]) {
    let w = random([filter[0], input[1], filter[1], filter[2]], seed: 3)
    let maps = random(
      [input[0], filter[0], input[2] - filter[1] + 1, input[3] - filter[2] + 1], seed: 4)
    #expect(maxDifference(Convolution.convolveFull(maps, w), Naive.full(maps, w)) < 1e-3)
  }

  @Test(arguments: convolutionCases)
  func weightGradientMatchesNaiveLoops(input: [Int], filter: [Int]) {
    let x = random(input, seed: 5)
    let maps = random(
      [input[0], filter[0], input[2] - filter[1] + 1, input[3] - filter[2] + 1], seed: 6)
    let fast = Convolution.weightGradient(
      input: x, maps: maps, filterHeight: filter[1], filterWidth: filter[2])
    #expect(maxDifference(fast, Naive.weightGradient(x, maps, fh: filter[1], fw: filter[2])) < 2e-3)
  }

  /// ⟨correlate(x, W), m⟩ = ⟨x, full(m, W)⟩: the full convolution is the correlation's transpose.
  @Test func fullConvolutionIsTheAdjoint() {
    let x = random([2, 3, 9, 8], seed: 7)
    let w = random([4, 3, 3, 2], seed: 8)
    let m = random([2, 4, 7, 7], seed: 9)
    let lhs = zip(Convolution.correlateValid(x, w).scalars, m.scalars).reduce(0.0) {
      $0 + Double($1.0 * $1.1)
    }
    let rhs = zip(x.scalars, Convolution.convolveFull(m, w).scalars).reduce(0.0) {
      $0 + Double($1.0 * $1.1)
    }
    #expect(abs(lhs - rhs) < 1e-3 * max(1, abs(lhs)))
  }

  @Test func biasIsAddedPerFilter() {
    let x = random([2, 1, 5, 5], seed: 10)
    let w = random([2, 1, 2, 2], seed: 11)
    let plain = Convolution.correlateValid(x, w)
    let biased = Convolution.correlateValid(x, w, bias: [1, -2])
    #expect(abs(biased[1, 0, 2, 3] - plain[1, 0, 2, 3] - 1) < 1e-5)
    #expect(abs(biased[0, 1, 0, 0] - plain[0, 1, 0, 0] + 2) < 1e-5)
  }

  @Test func resultsDoNotDependOnThreadCount() {
    let x = random([40, 2, 13, 13], seed: 12)
    let m = random([40, 3, 10, 10], seed: 13)
    let before = Parallelism.threads
    defer { Parallelism.threads = before }
    Parallelism.threads = 1
    let one = Convolution.weightGradient(input: x, maps: m, filterHeight: 4, filterWidth: 4)
    Parallelism.threads = 2
    let two = Convolution.weightGradient(input: x, maps: m, filterHeight: 4, filterWidth: 4)
    #expect(one == two)
  }

  @Test func chunkPlanCoversTheBatchEvenly() {
    for n in [1, 2, 7, 20, 100, 1001] {
      for per in [1, 1000, 32_400, 313_600, 5_000_000] {
        let plan = ChunkPlan(examples: n, floatsPerExample: per)
        #expect(plan.ranges.first?.lowerBound == 0)
        #expect(plan.ranges.last?.upperBound == n)
        for (a, b) in zip(plan.ranges, plan.ranges.dropFirst()) {
          #expect(a.upperBound == b.lowerBound)
        }
        #expect(plan.largest - (plan.ranges.map(\.count).min() ?? 0) <= 1)
      }
    }
  }
}
