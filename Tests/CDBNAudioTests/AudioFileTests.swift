import CDBNDatasets
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct AudioFileTests {
  @Test func sphereHeaderOfRealTIMITFile() throws {
    let header = try #require(try AudioFile.sphereHeader(path: SharedData.sa1))
    #expect(header.headerSize == 1024)
    #expect(header.sampleRate == 16000)
    #expect(header.sampleCount == 51610)
    #expect(header.bytesPerSample == 2)
    #expect(header.channelCount == 1)
    #expect(header.byteFormat == "01")
    #expect(header.sampleCoding == "pcm")
    #expect(header.fields["utterance_id"] == "alk0_sa1")
  }

  @Test func everySampleFileHasAConsistentHeader() throws {
    let corpus = try TIMITCorpus(root: SharedData.timit)
    for u in corpus.utterances {
      let header = try #require(try AudioFile.sphereHeader(path: u.audioPath))
      #expect(header.sampleRate == 16000 && header.bytesPerSample == 2 && header.channelCount == 1)
    }
  }

  @Test func readsSphereSamplesAsScaledInt16() throws {
    let signal = try AudioFile.read(path: SharedData.sa1)
    #expect(signal.sampleRate == 16000)
    #expect(signal.samples.count == 51610)
    let bytes = try readBytes(SharedData.sa1)
    for i in [0, 1, 1000, 25_000, 51_609] {
      let raw = Int16(bitPattern: UInt16(bytes[1024 + 2 * i]) | UInt16(bytes[1025 + 2 * i]) << 8)
      #expect(signal.samples[i] == Float(raw) / 32768)
    }
  }

  @Test func readsRIFFWave() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let samples: [Int16] = [0, 1000, -1000, 32767, -32768]
    let path = try folder.write("a.wav", AudioFixtures.wav(samples, sampleRate: 8000))
    let signal = try AudioFile.read(path: path)
    #expect(signal.sampleRate == 8000)
    #expect(signal.samples == samples.map { Float($0) / 32768 })
    #expect(try AudioFile.sphereHeader(path: path) == nil)
  }

  @Test func missingAndEmptyFiles() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let missing = folder.file("nothing.wav")
    expectDatasetError(.unreadable, path: missing) { _ = try AudioFile.read(path: missing) }
    let empty = try folder.write("empty.wav", [])
    expectDatasetError(.truncated, path: empty, mentioning: "empty") {
      _ = try AudioFile.read(path: empty)
    }
    let garbage = try folder.write("garbage.wav", Array("not audio at all".utf8))
    expectDatasetError(.unsupportedFormat, path: garbage) { _ = try AudioFile.read(path: garbage) }
  }

  @Test func truncatedWaveFile() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let whole = AudioFixtures.wav(
      AudioFixtures.sine(frequency: 440, sampleRate: 16000, count: 1000), sampleRate: 16000)
    let cut = try folder.write("cut.wav", Array(whole[0..<500]))
    expectDatasetError(.truncated, path: cut, mentioning: "2000 bytes") {
      _ = try AudioFile.read(path: cut)
    }
  }

  @Test func truncatedSphereFile() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let bytes = try readBytes(SharedData.sa1)
    let cut = try folder.write("cut.wav", Array(bytes[0..<60_000]))
    expectDatasetError(.truncated, path: cut, mentioning: "51610") {
      _ = try AudioFile.read(path: cut)
    }
    let insideHeader = try folder.write("header.wav", Array(bytes[0..<500]))
    expectDatasetError(.truncated, path: insideHeader, mentioning: "header") {
      _ = try AudioFile.read(path: insideHeader)
    }
  }

  @Test func sphereHeaderThatLiesAboutItsSampleCount() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let samples = AudioFixtures.sine(frequency: 440, sampleRate: 16000, count: 1600)
    let fewer = try folder.write(
      "fewer.wav", AudioFixtures.sphere(sampleCount: 100, samples: samples))
    expectDatasetError(.badHeader, path: fewer, mentioning: "3200 bytes") {
      _ = try AudioFile.read(path: fewer)
    }
    // 2⁴⁰ claimed samples: reported from the file size, nothing allocated.
    let huge = try folder.write(
      "huge.wav", AudioFixtures.sphere(sampleCount: 1 << 40, samples: samples))
    expectDatasetError(.truncated, path: huge) { _ = try AudioFile.read(path: huge) }
    let honest = try folder.write(
      "ok.wav", AudioFixtures.sphere(sampleCount: 1600, samples: samples))
    #expect(try AudioFile.read(path: honest).samples.count == 1600)
    let shorten = try folder.write(
      "shorten.wav",
      AudioFixtures.sphere(
        sampleCount: 1600, samples: samples, coding: "pcm,embedded-shorten-v2.00"))
    expectDatasetError(.unsupportedFormat, path: shorten, mentioning: "sph2pipe") {
      _ = try AudioFile.read(path: shorten)
    }
  }

  /// A 1 kHz sine at 8 kHz, resampled to 16 kHz, still peaks at 1 kHz and keeps its length ratio.
  @Test func resamplingKeepsASinesFrequency() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write(
      "sine8k.wav",
      AudioFixtures.wav(
        AudioFixtures.sine(frequency: 1000, sampleRate: 8000, count: 8000), sampleRate: 8000))
    let signal = try AudioFile.read(path: path, sampleRate: 16000)
    #expect(signal.sampleRate == 16000)
    #expect(abs(signal.samples.count - 16000) <= 2)
    let spectrogram = try Spectrogram(sampleRate: 16000, windowLength: 1024, hopLength: 512)
    let power = spectrogram.power(signal.samples)
    let frame = power.shape[0] / 2
    let bins = power.shape[1]
    let row = Array(power.scalars[(frame * bins)..<((frame + 1) * bins)])
    let peak = row.indices.max { row[$0] < row[$1] }!
    // 1000 Hz · 1024 / 16000 = bin 64.
    #expect(peak == 64)
    // Nothing above 4 kHz (the old Nyquist) but leakage: at least 60 dB down.
    let above = row[(4200 * 1024 / 16000)...].max()!
    #expect(above < row[peak] * 1e-6)
    for quality in Resampler.Quality.allCases {
      let down = try signal.resampled(to: 8000, quality: quality)
      #expect(abs(down.samples.count - 8000) <= 2)
    }
    #expect(throws: DatasetError.self) { try signal.resampled(to: 0) }
  }
}
