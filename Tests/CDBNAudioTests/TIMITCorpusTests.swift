import CDBNDatasets
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct TIMITCorpusTests {
  @Test func readsTheNLTKSampleLayout() throws {
    let corpus = try TIMITCorpus(root: SharedData.timit)
    #expect(corpus.utterances.count == 160)
    #expect(corpus.speakers.count == 16)
    #expect(corpus.utterances.filter { $0.gender == .female }.count == 80)
    #expect(corpus.utterances.filter { $0.sentenceType == .sa }.count == 32)
    #expect(corpus.utterances.filter { $0.sentenceType == .si }.count == 48)
    #expect(corpus.utterances.filter { $0.sentenceType == .sx }.count == 80)
    #expect(Set(corpus.utterances.map(\.dialectRegion)) == Set(1...8))
    let u = try #require(corpus.utterances.first { $0.id == "DR1/FVMH0/SI836" })
    #expect(u.speaker == "FVMH0" && u.gender == .female && u.sentence == "SI836")
    #expect(u.sentenceType == .si)
    #expect(u.phonesPath?.hasSuffix("dr1-fvmh0/si836.phn") == true)
    #expect(u.wordsPath != nil && u.textPath != nil)
    // spkrinfo.txt: "VMH0 F 1 TRN ..."
    let info = try #require(u.speakerInfo)
    #expect(info.sex == "F" && info.dialectRegion == 1 && info.id == "VMH0")
    #expect(u.subset == (info.use == "TST" ? .test : .train))
    #expect(corpus.utterances.allSatisfy { $0.speakerInfo != nil && $0.subset != nil })
    #expect(try u.text().hasSuffix("."))
    let phones = try u.phones()
    #expect(phones.first?.label == "h#")
    #expect(phones.last!.end <= (try u.sampleCount()))
    #expect(try u.words().count > 3)
    #expect(corpus.utterances(.all, excludingSA: true).count == 128)
  }

  @Test func readsTheLDCLayoutWithUpperCaseNames() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let audio = try readBytes(SharedData.sa1)
    let phn = try readBytes(SharedData.sa1Phones)
    for (dir, sentence) in [
      ("TIMIT/TRAIN/DR3/FALK0", "SA1"), ("TIMIT/TRAIN/DR3/FALK0", "SX96"),
      ("TIMIT/TEST/DR1/FELC0", "SI1386"), ("TIMIT/TEST/DR1/FELC0", "SA2"),
      ("TIMIT/TEST/DR2/FAKS0", "SX43"),
    ] {
      try folder.write("\(dir)/\(sentence).WAV", audio)
      try folder.write("\(dir)/\(sentence).PHN", phn)
    }
    try folder.write("TIMIT/TEST/DR2/FAKS0/README.WAV", audio)  // not a sentence: ignored
    let corpus = try TIMITCorpus(root: folder.path)
    #expect(corpus.utterances.count == 5)
    #expect(corpus.utterances(.train).count == 2)
    #expect(corpus.utterances(.fullTest).count == 3)
    #expect(corpus.utterances(.coreTest).map(\.id) == ["DR1/FELC0/SA2", "DR1/FELC0/SI1386"])
    #expect(corpus.utterances(.coreTest, excludingSA: true).map(\.id) == ["DR1/FELC0/SI1386"])
    #expect(corpus.utterances(.development).map(\.speaker) == ["FAKS0"])
    let u = corpus.utterances(.coreTest)[0]
    #expect(u.dialectRegion == 1 && u.gender == .female && u.sentenceType == .sa)
    #expect(u.phonesPath?.hasSuffix("SA2.PHN") == true && u.wordsPath == nil)
    #expect(try u.phones().count == 42)
    expectDatasetError(.unreadable, path: u.audioPath) { _ = try u.words() }
  }

  @Test func speakerListsAreTheStandardOnes() {
    #expect(TIMITSpeakers.coreTest.count == 24)
    #expect(Set(TIMITSpeakers.coreTest).count == 24)
    #expect(TIMITSpeakers.coreTest.filter { $0.hasPrefix("F") }.count == 8)
    #expect(TIMITSpeakers.development.count == 50)
    #expect(Set(TIMITSpeakers.development).isDisjoint(with: TIMITSpeakers.coreTest))
    #expect(TIMITSpeakers.coreTest.allSatisfy(TIMITCorpus.isSpeaker))
    #expect(TIMITSpeakers.development.allSatisfy(TIMITCorpus.isSpeaker))
  }

  @Test func folderWithoutTIMIT() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try folder.write("notes.txt", text: "hello")
    expectDatasetError(.badShape, path: folder.path) { _ = try TIMITCorpus(root: folder.path) }
    expectDatasetError(.unreadable, path: folder.file("none")) {
      _ = try TIMITCorpus(root: folder.file("none"))
    }
  }
}
