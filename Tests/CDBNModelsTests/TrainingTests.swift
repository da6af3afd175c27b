import Foundation
import Testing

@testable import CDBNModels
@testable import CDBNNumerics

/// Binary images of short horizontal and vertical bars: a data set with obvious structure.
func bars(count: Int, size: Int, seed: UInt64) -> Tensor {
  var rng = RandomStream(seed: seed)
  var t = Tensor(zeros: [count, 1, size, size])
  for e in 0..<count {
    for _ in 0..<3 {
      let vertical = rng.nextInt(below: 2) == 0
      let a = rng.nextInt(below: size)
      let b = rng.nextInt(below: size - 4)
      for d in 0..<5 {
        if vertical { t[e, 0, b + d, a] = 1 } else { t[e, 0, a, b + d] = 1 }
      }
    }
  }
  return t
}

@Suite struct TrainingTests {
  static func trainer(seed: UInt64, persistent: Bool = false, rate: Float = 0.1) throws
    -> ConvRBMTrainer
  {
    let rbm = try ConvRBM(
      visible: .binary, channels: 1, filters: 8, filterHeight: 5, filterWidth: 5, poolHeight: 2,
      poolWidth: 2,
      seed: seed)
    var cd = ContrastiveDivergence()
    cd.learningRate = rate
    cd.sparsityTarget = 0.05
    cd.sparsityCost = 1
    cd.persistent = persistent
    cd.momentumSwitchEpoch = 2
    return try ConvRBMTrainer(rbm: rbm, settings: cd, seed: seed)
  }

  @Test(arguments: [false, true])
  func trainingLowersReconstructionErrorAndApproachesTheSparsityTarget(_ persistent: Bool) throws {
    let data = bars(count: 64, size: 16, seed: 1)
    let t = try Self.trainer(seed: 3, persistent: persistent)
    var first = 0.0
    var last = TrainingStatistics(reconstructionError: 0, meanActivation: [], examples: 0)
    for epoch in 0..<8 {
      for b in 0..<4 {
        last = try t.train(batch: data.slice((b * 16)..<(b * 16 + 16)), epoch: epoch)
        if epoch == 0 && b == 0 { first = last.reconstructionError }
      }
      t.finishEpoch(epoch)
    }
    #expect(last.reconstructionError < 0.6 * first, "error \(first) → \(last.reconstructionError)")
    #expect(last.overallActivation < 0.2, "mean activation \(last.overallActivation)")
  }

  @Test func sameSeedSameWeightsWhateverTheThreadCount() throws {
    let data = bars(count: 40, size: 20, seed: 2)
    let before = Parallelism.threads
    defer { Parallelism.threads = before }
    var results: [ConvRBM] = []
    for threads in [1, 2, 2] {
      Parallelism.threads = threads
      let t = try Self.trainer(seed: 5)
      for epoch in 0..<2 { _ = try t.train(batch: data, epoch: epoch) }
      results.append(t.rbm)
    }
    #expect(results[0] == results[1])
    #expect(results[1] == results[2])
    let other = try Self.trainer(seed: 6)
    _ = try other.train(batch: data, epoch: 0)
    #expect(other.rbm != results[0])
  }

  @Test func divergenceStopsWithATypedErrorAndKeepsTheLastGoodWeights() throws {
    var rbm = try ConvRBM(
      visible: .gaussian, channels: 1, filters: 4, filterHeight: 3, filterWidth: 3, poolHeight: 2,
      poolWidth: 2,
      sigma: 0.1, seed: 1)
    rbm.weights = randomTensor(rbm.weights.shape, seed: 2, scale: 1)
    var cd = ContrastiveDivergence()
    cd.learningRate = 1e6
    cd.weightDecay = 0
    let t = try ConvRBMTrainer(rbm: rbm, settings: cd, seed: 1)
    let data = randomTensor([4, 1, 10, 10], seed: 3, scale: 10)
    var good = t.rbm
    let error = #expect(throws: ModelError.self) {
      for epoch in 0..<50 {
        good = t.rbm
        _ = try t.train(batch: data, epoch: epoch)
      }
    }
    if case .diverged = error {
    } else {
      Issue.record("expected .diverged, got \(String(describing: error))")
    }
    #expect(t.rbm == good)
    #expect(t.rbm.weights.firstNonFinite() == nil)
  }
}
