import CDBNDatasets
import CDBNNumerics
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct AudioFeaturesTests {
  @Test func whitenedSpectrogramTensorForTheCDBN() throws {
    let corpus = try TIMITCorpus(root: SharedData.timit)
    let training = corpus.utterances.filter { $0.speaker == "FALK0" || $0.speaker == "MCPM0" }
    let signals = try training.map { try $0.signal() }
    let features = try AudioFeatures.fit(spectrogram: try Spectrogram(), signals: signals)
    #expect(features.whitening.componentCount == 80)
    #expect(features.whitening.inputDimension == 161)
    let sa1 = try #require(corpus.utterances.first { $0.id == "DR3/FALK0/SA1" })
    let x = try features.tensor(sa1)
    #expect(x.shape == [1, 80, 1, 321])
    #expect(x.firstNonFinite() == nil)
    // Whitened over its own training frames: each channel has about unit variance (ε = 0.01 shrinks
    // the smallest ones a little).
    let map = try features.map(signals[0])
    #expect(map.shape == [80, (signals[0].samples.count - 320) / 160 + 1])
    var worst: Float = 0
    for c in 0..<10 {
      let row = map.scalars[(c * map.shape[1])..<((c + 1) * map.shape[1])]
      worst = max(worst, abs(row.reduce(0, +) / Float(row.count)))
    }
    // Not the whitening's own mean (that is over all training frames), but close to 0.
    #expect(worst < 1.5)
    #expect(throws: DatasetError.self) {
      _ = try features.tensor(
        AudioSignal(samples: [Float](repeating: 0, count: 100), sampleRate: 16000))
    }
    let limited = try AudioFeatures.fit(
      spectrogram: try Spectrogram(), signals: signals, components: 10, maxFrames: 500)
    #expect(limited.whitening.componentCount == 10)
  }

  @Test func utteranceAndSegmentSummaries() throws {
    // Channel 0 counts frames 0..<9, channel 1 is constant 2.
    let map = Tensor(
      shape: [2, 9], scalars: (0..<9).map(Float.init) + [Float](repeating: 2, count: 9))
    #expect(try FeatureSummary.meanAndMax(map) == [4, 2, 8, 2])
    #expect(try FeatureSummary.meanAndMax(map.reshaped([1, 2, 1, 9])) == [4, 2, 8, 2])
    // Segment of frames 0..<9: thirds 0..<3, 3..<6, 6..<9.
    let s = try FeatureSummary.segment(map, frames: 0..<9)
    #expect(Array(s[0..<6]) == [1, 2, 4, 2, 7, 2])
    #expect(abs(s[6] - Float(log(9.0))) < 1e-6)
    // One-frame and two-frame segments still give three parts.
    #expect(Array(try FeatureSummary.segment(map, frames: 4..<5)[0..<6]) == [4, 2, 4, 2, 4, 2])
    #expect(Array(try FeatureSummary.segment(map, frames: 4..<6)[0..<6]) == [4, 2, 5, 2, 5, 2])
    #expect(throws: DatasetError.self) { _ = try FeatureSummary.segment(map, frames: 8..<10) }
    #expect(throws: DatasetError.self) {
      _ = try FeatureSummary.meanAndMax(Tensor(zeros: [2, 2, 2]))
    }
    // Sample boundaries to frames with a 160-sample hop.
    let phone = TimedLabel(start: 2200, end: 4280, label: "sh")
    #expect(FeatureSummary.frames(of: phone, hop: 160, frameCount: 321) == 13..<26)
    #expect(FeatureSummary.frames(of: phone, hop: 160, frameCount: 20) == 13..<20)
    #expect(
      FeatureSummary.frames(
        of: TimedLabel(start: 51000, end: 51610, label: "h#"), hop: 160, frameCount: 321)
        == 318..<321)
    #expect(
      FeatureSummary.frames(
        of: TimedLabel(start: 100, end: 120, label: "x"), hop: 160, frameCount: 3) == 0..<1)
  }
}
