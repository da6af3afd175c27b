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
  }

  @Test func frameTimingLinesUpMapsWithPhoneBoundaries() throws {
    // The whitened spectrogram: 320-sample windows every 160 samples, frame t centred on 160t + 159.5.
    let spectrogram = FrameTiming(try Spectrogram())
    #expect(spectrogram == FrameTiming(firstCentre: 159.5, stride: 160))
    // Centres 2239.5 (t = 13) ... 4159.5 (t = 25) lie in [2200, 4280).
    let phone = TimedLabel(start: 2200, end: 4280, label: "sh")
    #expect(spectrogram.frames(of: phone, frameCount: 321) == 13..<26)
    #expect(spectrogram.frames(of: phone, frameCount: 20) == 13..<20)
    // A segment between two centres takes the frame nearest its middle.
    #expect(
      spectrogram.frames(of: TimedLabel(start: 170, end: 250, label: "x"), frameCount: 3) == 0..<1)
    #expect(
      spectrogram.frames(of: TimedLabel(start: 51000, end: 51610, label: "h#"), frameCount: 321)
        == 318..<321)
    // Past the end of the map: the last frame.
    #expect(
      spectrogram.frames(of: TimedLabel(start: 90000, end: 90100, label: "x"), frameCount: 5)
        == 4..<5)
    // MFCC frames (centred) sit on multiples of the hop.
    #expect(FrameTiming(try MFCC().spectrogram) == FrameTiming(firstCentre: 0, stride: 160))
    // Layer 1 (length 6, pooling 3): pooled unit m covers frames 3m ..< 3m + 8, centred on frame
    // 3m + 3.5; layer 2 likewise on layer 1's units.
    let layer1 = spectrogram.after(filterWidth: 6, pooling: 3)
    #expect(layer1 == FrameTiming(firstCentre: 159.5 + 3.5 * 160, stride: 480))
    #expect(layer1.centre(of: 2) == spectrogram.centre(of: 6) + 3.5 * 160)
    let layer2 = layer1.after(filterWidth: 6, pooling: 3)
    #expect(layer2 == FrameTiming(firstCentre: 159.5 + 3.5 * 160 + 3.5 * 480, stride: 1440))
  }
}
