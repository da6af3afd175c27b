import CDBNDatasets
import CDBNNumerics
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct MFCCTests {
  @Test func shapeAndDeltas() throws {
    let mfcc = try MFCC()
    let signal = try AudioFile.read(path: SharedData.sa1)
    let f = try mfcc.features(signal)
    // librosa's centred framing: 1 + 51610 / 160 frames.
    #expect(f.shape == [323, 39])
    #expect(f.firstNonFinite() == nil)
    // Δ of a linear ramp is its slope everywhere (edges included); ΔΔ of a parabola is 2a.
    let ramp = Tensor(shape: [12, 1], scalars: (0..<12).map { 3 * Float($0) + 1 })
    #expect(MFCC.delta(ramp, order: 1).scalars.allSatisfy { abs($0 - 3) < 1e-5 })
    let parabola = Tensor(
      shape: [12, 1], scalars: (0..<12).map { 0.5 * Float($0 * $0) - Float($0) })
    #expect(MFCC.delta(parabola, order: 2).scalars.allSatisfy { abs($0 - 1) < 1e-4 })
    #expect(MFCC.delta(Tensor(zeros: [2, 3]), order: 1) == Tensor(zeros: [2, 3]))
    #expect(throws: DatasetError.self) { _ = try MFCC(coefficients: 50) }
    #expect(throws: DatasetError.self) {
      _ = try mfcc.features(AudioSignal(samples: [0], sampleRate: 8000))
    }
  }

  @Test func melScalesRoundTrip() {
    for scale in [MelFilterbank.Scale.slaney, .htk] {
      for hz in [0.0, 300, 999, 1000, 4000, 8000] {
        #expect(
          abs(MelFilterbank.hertz(MelFilterbank.mel(hz, scale: scale), scale: scale) - hz) < 1e-6)
      }
    }
    #expect(abs(MelFilterbank.mel(1000, scale: .slaney) - 15) < 1e-12)
    #expect(abs(MelFilterbank.mel(1000, scale: .htk) - 999.985) < 1e-2)
  }

  /// Compares with librosa 0.11 on a real TIMIT file: same samples (int16 / 32768), same settings.
  @Test(
    .enabled(
      if: SystemPython.hasLibrosa,
      "/usr/bin/python3 cannot import librosa; install it with .ci/run (pip, pinned) to run this comparison"
    ))
  func agreesWithLibrosa() throws {
    let script = """
      import sys, numpy as np, librosa
      raw = np.fromfile(sys.argv[1], dtype='<i2', offset=1024).astype(np.float32) / 32768
      c = librosa.feature.mfcc(y=raw, sr=16000, n_mfcc=13, n_fft=400, hop_length=160, n_mels=40)
      f = np.concatenate([c, librosa.feature.delta(c, order=1), librosa.feature.delta(c, order=2)])
      np.savetxt(sys.stdout, f.T, fmt='%.9g')
      """
    let result = try SystemPython.run(script, arguments: [SharedData.sa1])
    try #require(result.status == 0, "librosa failed: \(result.stderr)")
    let rows = result.stdout.split(separator: "\n").map {
      $0.split(separator: " ").map { Double($0)! }
    }
    let ours = try MFCC().features(try AudioFile.read(path: SharedData.sa1))
    try #require(rows.count == ours.shape[0] && rows.allSatisfy { $0.count == 39 })
    var worst = [0.0, 0.0, 0.0]
    var scale = [0.0, 0.0, 0.0]
    for (t, row) in rows.enumerated() {
      for j in 0..<39 {
        let block = j / 13
        worst[block] = max(worst[block], abs(Double(ours.scalars[t * 39 + j]) - row[j]))
        scale[block] = max(scale[block], abs(row[j]))
      }
    }
    print(
      "MFCC vs librosa, max |Δ| (max |value|): cepstra \(worst[0]) (\(scale[0])), Δ \(worst[1]) (\(scale[1])), ΔΔ \(worst[2]) (\(scale[2]))"
    )
    #expect(worst[0] < 1e-3, "cepstra differ by up to \(worst[0])")
    #expect(worst[1] < 2e-4, "Δ differ by up to \(worst[1])")
    #expect(worst[2] < 2e-4, "ΔΔ differ by up to \(worst[2])")
  }
}
