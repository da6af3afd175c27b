import CDBNDatasets
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNAudio

@Suite struct TranscriptionTests {
  @Test func parsesARealPhoneFile() throws {
    let phones = try TimedLabel.read(path: SharedData.sa1Phones, sampleCount: 51610)
    #expect(phones.first == TimedLabel(start: 0, end: 2200, label: "h#"))
    #expect(phones[1] == TimedLabel(start: 2200, end: 4280, label: "sh"))
    #expect(phones.count == 42)
    // TIMIT's phone segments tile the utterance.
    for (a, b) in zip(phones, phones.dropFirst()) { #expect(a.end == b.start) }
    #expect(phones.last!.end <= 51610)
  }

  @Test func wordFilesMayOverlapAtSharedPhones() throws {
    let words = try TimedLabel.read(
      path: SharedData.sa1Words, sampleCount: 51610, overlapping: true)
    #expect(words.map(\.label).prefix(4) == ["she", "had", "your", "dark"])
    // mcpm0's "your" starts inside "had": an error when read as phones, fine as words.
    let overlapping = SharedData.timit + "/dr1-mcpm0/sa1.wrd"
    expectDatasetError(.badValue, path: overlapping, mentioning: "line") {
      _ = try TimedLabel.read(path: overlapping)
    }
    #expect(try TimedLabel.read(path: overlapping, overlapping: true).count > 5)
  }

  @Test func malformedPhoneFiles() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let pastEnd = try folder.write("past.phn", text: "0 100 h#\n100 900 sh\n900 1200 h#\n")
    expectDatasetError(.badValue, path: pastEnd, mentioning: "line 3") {
      _ = try TimedLabel.read(path: pastEnd, sampleCount: 1000)
    }
    let unordered = try folder.write("unordered.phn", text: "0 100 h#\n300 400 sh\n100 300 iy\n")
    expectDatasetError(.badValue, path: unordered, mentioning: "line 3") {
      _ = try TimedLabel.read(path: unordered)
    }
    let overlap = try folder.write("overlap.phn", text: "0 100 h#\n90 300 sh\n")
    expectDatasetError(.badValue, path: overlap, mentioning: "line 2") {
      _ = try TimedLabel.read(path: overlap)
    }
    let backwards = try folder.write("backwards.phn", text: "0 100 h#\n200 150 sh\n")
    expectDatasetError(.badValue, path: backwards, mentioning: "line 2") {
      _ = try TimedLabel.read(path: backwards)
    }
    let words = try folder.write("words.phn", text: "0 100 h#\nten twenty sh\n")
    expectDatasetError(.badValue, path: words, mentioning: "line 2") {
      _ = try TimedLabel.read(path: words)
    }
    let short = try folder.write("short.phn", text: "0 100\n")
    expectDatasetError(.badValue, path: short, mentioning: "line 1") {
      _ = try TimedLabel.read(path: short)
    }
    let empty = try folder.write("empty.phn", [])
    expectDatasetError(.truncated, path: empty) { _ = try TimedLabel.read(path: empty) }
    let missing = folder.file("missing.phn")
    expectDatasetError(.unreadable, path: missing) { _ = try TimedLabel.read(path: missing) }
  }

  @Test func foldsThe61PhonesTo39Classes() {
    #expect(TIMITPhones.all.count == 61)
    #expect(Set(TIMITPhones.all).count == 61)
    let folded = TIMITPhones.all.compactMap(TIMITPhones.fold)
    #expect(folded.count == 60)
    #expect(Set(folded).count == 39)
    #expect(TIMITPhones.classes.count == 39)
    #expect(Set(folded) == Set(TIMITPhones.classes))
    #expect(TIMITPhones.fold("q") == nil)
    #expect(TIMITPhones.fold("xyz") == nil)
    for closure in ["bcl", "dcl", "gcl", "pcl", "tcl", "kcl", "pau", "epi", "h#"] {
      #expect(TIMITPhones.fold(closure) == "sil")
    }
    let expected: [String: String] = [
      "ao": "aa", "ax": "ah", "ax-h": "ah", "axr": "er", "hv": "hh", "ix": "ih", "el": "l",
      "em": "m", "en": "n", "nx": "n", "eng": "ng", "zh": "sh", "ux": "uw", "iy": "iy", "dx": "dx",
    ]
    for (phone, cls) in expected { #expect(TIMITPhones.fold(phone) == cls, "\(phone)") }
    #expect(TIMITPhones.fold("AX-H") == "ah")
    #expect(TIMITPhones.classIndex("h#") == TIMITPhones.classes.firstIndex(of: "sil"))
    #expect(TIMITPhones.classIndex("q") == nil)
    // Every phone in the embedded sample is one of the 61.
    #expect(
      TIMITPhones.classes == [
        "aa", "ae", "ah", "aw", "ay", "b", "ch", "d", "dh", "dx", "eh", "er", "ey", "f", "g", "hh",
        "ih", "iy", "jh", "k", "l", "m", "n", "ng", "ow", "oy", "p", "r", "s", "sh", "sil", "t",
        "th", "uh", "uw", "v", "w", "y", "z",
      ])
  }
}
