import CDBNDatasets
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct AudioCorpusTests {
  @Test func readsACSVListingAndResamples() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try folder.write(
      "clips/a.wav",
      AudioFixtures.wav(
        AudioFixtures.sine(frequency: 440, sampleRate: 8000, count: 800), sampleRate: 8000))
    try folder.write("clips/b.wav", try readBytes(SharedData.sa1))
    let csv = try folder.write(
      "list.csv",
      text:
        "path,label,speaker\nclips/a.wav,yes,s1\n\n# comment\nclips/b.wav,no,s2\nclips/a.wav,yes\n")
    let corpus = try AudioCorpus(csvPath: csv, sampleRate: 16000)
    #expect(corpus.count == 3)
    #expect(corpus.classNames == ["no", "yes"])
    #expect(corpus.labels == [1, 0, 1])
    #expect(corpus.items.map(\.speaker) == ["s1", "s2", nil])
    let a = try corpus.signal(0)
    #expect(a.sampleRate == 16000 && abs(a.samples.count - 1600) <= 2)
    #expect(try corpus.signal(1).samples.count == 51610)
    expectDatasetError(.invalidArgument, path: csv) { _ = try corpus.signal(3) }

    // The dataset says once how many files it resamples, from their headers.
    let dataset = try AudioDataset(path: csv, sampleRate: 16000)
    #expect(try dataset.resampledFiles().count == 2 && dataset.resampledFiles().rates == [8000])
    #expect(
      try dataset.resamplingNote()
        == "audio: 2 of 3 file(s) are at 8000 Hz and are resampled to 16000 Hz (libsamplerate)")
    #expect(
      try AudioDataset(path: csv, sampleRate: 8000).resamplingNote()?.contains("1 of 3") == true)
  }

  @Test func csvErrorsNameTheLine() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try folder.write("a.wav", AudioFixtures.wav([0, 1, 2], sampleRate: 16000))
    let missing = try folder.write("missing.csv", text: "a.wav,x\nb.wav,y\n")
    expectDatasetError(.unreadable, path: missing, mentioning: "line 2") {
      _ = try AudioCorpus(csvPath: missing)
    }
    let columns = try folder.write("columns.csv", text: "path,label\na.wav,x,s,extra\n")
    expectDatasetError(.badShape, path: columns, mentioning: "line 2") {
      _ = try AudioCorpus(csvPath: columns)
    }
    let noLabel = try folder.write("nolabel.csv", text: "a.wav,\n")
    expectDatasetError(.badValue, path: noLabel, mentioning: "line 1") {
      _ = try AudioCorpus(csvPath: noLabel)
    }
    let empty = try folder.write("empty.csv", text: "path,label\n")
    expectDatasetError(.truncated, path: empty) { _ = try AudioCorpus(csvPath: empty) }
  }
}
