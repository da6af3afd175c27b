import CDBNNumerics
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNDatasets

@Suite struct OpenExamplesTests {
  @Test func idxWithSiblingLabels() throws {
    let source = try openExamples(path: SharedData.t10kImages)
    #expect(source.count == 10_000)
    #expect(source.exampleShape == [1, 28, 28])
    #expect(source.labels?.first == 7)
    #expect(try source.batch(0..<4).shape == [4, 1, 28, 28])
    expectDatasetError(.unsupportedFormat, path: SharedData.t10kLabels) {
      _ = try openExamples(path: SharedData.t10kLabels)
    }
  }

  @Test func idxWithoutLabelsAndRawSibling() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let images = try folder.write(
      "train-images-idx3-ubyte.gz",
      Encoders.gzip(Encoders.idx(magic: 0x803, dims: [2, 1, 1], payload: [0, 255])))
    #expect(try openExamples(path: images).labels == nil)
    try folder.write(
      "train-labels-idx1-ubyte", Encoders.idx(magic: 0x801, dims: [2], payload: [4, 2]))
    #expect(try openExamples(path: images).labels == [4, 2])
    try folder.write(
      "train-labels-idx1-ubyte.gz",
      Encoders.gzip(Encoders.idx(magic: 0x801, dims: [1], payload: [4])))
    expectDatasetError(.badShape, path: images) { _ = try openExamples(path: images) }
  }

  @Test func csvFolderAndSinglePicture() throws {
    #expect(try openExamples(path: SharedData.csv5k).count == 5000)
    let picture = try openExamples(path: SharedData.rocket)
    #expect(picture.exampleShape == [1, 427, 640])
    #expect(picture.ids == ["rocket.jpg"])
    #expect(
      try openExamples(path: SharedData.rocket, grayscale: false).exampleShape == [3, 427, 640])
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try PNGWriter.write(gray: [UInt8]([1, 2, 3, 4]), width: 2, height: 2, to: folder.file("x.png"))
    let source = try openExamples(path: folder.path)
    #expect(source is ImageFolder)
    #expect(source.count == 1)
  }

  @Test func unknownAndMissing() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let text = try folder.write("data.bin", text: "something else")
    expectDatasetError(.unsupportedFormat, path: text) { _ = try openExamples(path: text) }
    let empty = try folder.write("empty.bin", [])
    expectDatasetError(.truncated, path: empty) { _ = try openExamples(path: empty) }
    let missing = folder.file("missing.csv")
    expectDatasetError(.unreadable, path: missing) { _ = try openExamples(path: missing) }
  }

  @Test func inMemoryExamplesValidate() throws {
    let tensor = Tensor(zeros: [2, 1, 2, 2])
    expectDatasetError(.badShape, path: "m") {
      _ = try InMemoryExamples(tensor, labels: [1], name: "m")
    }
    expectDatasetError(.badShape, path: "m") {
      _ = try InMemoryExamples(tensor, ids: ["a"], name: "m")
    }
    expectDatasetError(.badShape, path: "m") {
      _ = try InMemoryExamples(Tensor(zeros: [2, 2]), name: "m")
    }
    var bad = tensor
    bad[1, 0, 1, 1] = .nan
    let error = expectDatasetError(.badValue, path: "m") {
      _ = try InMemoryExamples(bad, name: "m")
    }
    #expect(error?.message.contains("example 1") == true)
    let ok = try InMemoryExamples(tensor, labels: [0, 1], ids: ["a", "b"], name: "m")
    #expect(try ok.batch(1..<2).shape == [1, 1, 2, 2])
    #expect(try ok.batch(2..<2).shape == [0, 1, 2, 2])
    expectDatasetError(.invalidArgument, path: "m") { _ = try ok.batch(0..<3) }
  }
}
