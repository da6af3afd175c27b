import CDBNNumerics
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNDatasets

@Suite struct ImageFolderTests {
  static func writeGray(
    _ folder: TemporaryDirectory, _ name: String, width: Int, height: Int, value: UInt8
  )
    throws
  {
    try FileManager.default.createDirectory(
      atPath: (folder.file(name) as NSString).deletingLastPathComponent,
      withIntermediateDirectories: true)
    try PNGWriter.write(
      gray: [UInt8](repeating: value, count: width * height), width: width, height: height,
      to: folder.file(name))
  }

  @Test func flatFolderSkipsNonImages() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try Self.writeGray(folder, "b.png", width: 3, height: 2, value: 255)
    try Self.writeGray(folder, "a.PNG", width: 3, height: 2, value: 0)
    try folder.write("readme.txt", text: "not a picture")
    try folder.write(".hidden.png", text: "ignored")
    let set = try ImageFolder(path: folder.path)
    #expect(set.count == 2)
    #expect(set.ids == ["a.PNG", "b.png"])
    #expect(set.labels == nil)
    #expect(set.classNames.isEmpty)
    #expect(set.exampleShape == [1, 2, 3])
    let batch = try set.batch(0..<2)
    #expect(batch.shape == [2, 1, 2, 3])
    #expect(batch.scalars == [Float](repeating: 0, count: 6) + [Float](repeating: 1, count: 6))
    let color = try ImageFolder(path: folder.path, grayscale: false)
    #expect(try color.image(at: 1).shape == [1, 3, 2, 3])
    expectDatasetError(.invalidArgument, path: folder.path) { _ = try set.batch(1..<3) }
    expectDatasetError(.invalidArgument, path: folder.path) { _ = try set.image(at: -1) }
  }

  @Test func classSubfolders() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try Self.writeGray(folder, "dog/1.png", width: 2, height: 2, value: 10)
    try Self.writeGray(folder, "cat/2.png", width: 2, height: 2, value: 20)
    try Self.writeGray(folder, "cat/1.png", width: 2, height: 2, value: 30)
    try folder.write("cat/notes.md", text: "skip me")
    let set = try ImageFolder(path: folder.path)
    #expect(set.classNames == ["cat", "dog"])
    #expect(set.ids == ["cat/1.png", "cat/2.png", "dog/1.png"])
    #expect(set.labels == [0, 0, 1])
    #expect(try set.image(at: 2).scalars.first == Float(10) / 255)

    try Self.writeGray(folder, "stray.png", width: 2, height: 2, value: 0)
    expectDatasetError(.badShape, path: folder.file("stray.png")) {
      _ = try ImageFolder(path: folder.path)
    }
  }

  @Test func imagesOfDifferentSizes() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try Self.writeGray(folder, "a.png", width: 4, height: 4, value: 100)
    try Self.writeGray(folder, "b.png", width: 6, height: 5, value: 200)
    let set = try ImageFolder(path: folder.path)
    let error = expectDatasetError(.badShape, path: folder.file("b.png")) {
      _ = try set.batch(0..<2)
    }
    #expect(error?.message.contains("6x5") == true)

    let resized = try ImageFolder(path: folder.path, sizing: .resize(width: 3, height: 3))
    #expect(try resized.batch(0..<2).shape == [2, 1, 3, 3])
    let cropped = try ImageFolder(path: folder.path, sizing: .centerCrop(width: 4, height: 4))
    let crops = try cropped.batch(0..<2)
    #expect(crops.shape == [2, 1, 4, 4])
    #expect(abs(crops[1, 0, 0, 0] - Float(200) / 255) < 1e-6)
    let tooBig = try ImageFolder(path: folder.path, sizing: .centerCrop(width: 5, height: 5))
    expectDatasetError(.badShape, path: folder.file("a.png")) { _ = try tooBig.batch(0..<1) }
  }

  @Test func jpegClassFoldersAtLongestSide() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    for dir in ["planes", "studio"] {
      try FileManager.default.createDirectory(
        atPath: folder.file(dir), withIntermediateDirectories: true)
    }
    let jpeg = try readBytes(SharedData.rocket)  // 640×427 RGB
    try folder.write("planes/rocket.jpg", jpeg)
    try folder.write("studio/camera.png", try readBytes(SharedData.camera))  // 512×512 grey
    let set = try ImageFolder(path: folder.path, sizing: .longestSide(150))
    #expect(set.labelNames == ["planes", "studio"] && set.labels == [0, 1])
    #expect(set.exampleShape == [1, 100, 150])
    let rocket = try set.image(at: 0)
    #expect(rocket.shape == [1, 1, 100, 150])
    #expect(try set.image(at: 1).shape == [1, 1, 150, 150])
    // The same as converting to grey, then resizing by hand.
    let reference = try DecodedImage(path: SharedData.rocket).grayscale()
      .resized(width: 150, height: 100)
    #expect(rocket.scalars == reference.pixels)
    // Pictures of two sizes cannot share a batch; the error says what to do.
    let error = expectDatasetError(.badShape, path: folder.file("studio/camera.png")) {
      _ = try set.batch(0..<2)
    }
    #expect(error?.message.contains("--pyramid") == true)
    // A truncated JPEG in a class folder is named when it is read.
    let cut = try folder.write("studio/cut.jpg", Array(jpeg.prefix(jpeg.count / 3)))
    let withCut = try ImageFolder(path: folder.path, sizing: .longestSide(150))
    expectDatasetError(.truncated, path: cut) { _ = try withCut.image(at: 2) }
    #expect(throws: DatasetError.self) {
      _ = try ImageFolder(path: folder.path, sizing: .longestSide(0))
    }
  }

  @Test func badFolders() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    expectDatasetError(.unreadable, path: folder.path) { _ = try ImageFolder(path: folder.path) }
    let fake = try folder.write("fake.png", text: "text in disguise")
    let set = try? ImageFolder(path: folder.path, sizing: .resize(width: 2, height: 2))
    expectDatasetError(.unsupportedFormat, path: fake) { _ = try set?.batch(0..<1) }
    expectDatasetError(.unsupportedFormat, path: fake) { _ = try ImageFolder(path: folder.path) }
    expectDatasetError(.unreadable, path: fake) { _ = try ImageFolder(path: fake) }
  }
}
