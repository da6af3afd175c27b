import CDBNNumerics
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNDatasets

@Suite struct MNISTIDXTests {
  @Test func firstHundredTestImagesAndLabels() throws {
    let images = try MNISTIDX.loadImages(path: SharedData.t10kImages, limit: 100)
    #expect(images.shape == [100, 1, 28, 28])
    #expect(images.scalars.min() == 0)
    #expect(images.scalars.max() == 1)
    let labels = try MNISTIDX.loadLabels(path: SharedData.t10kLabels, limit: 100)
    #expect(labels.count == 100)
    #expect(labels[0] == 7)
    #expect(labels.allSatisfy { (0...9).contains($0) })

    let both = try MNISTIDX.load(
      imagesPath: SharedData.t10kImages, labelsPath: SharedData.t10kLabels, limit: 100)
    #expect(both.count == 100)
    #expect(both.exampleShape == [1, 28, 28])
    #expect(try both.batch(0..<10) == images.slice(0..<10))
  }

  @Test func rawAndGzippedReadTheSame() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let pixels = (0..<(3 * 2 * 2)).map { UInt8($0 * 20) }
    let raw = Encoders.idx(magic: 0x803, dims: [3, 2, 2], payload: pixels)
    let rawPath = try folder.write("a-images-idx3-ubyte", raw)
    let gzPath = try folder.write("b-images-idx3-ubyte.gz", Encoders.gzip(raw))
    let a = try MNISTIDX.loadImages(path: rawPath)
    let b = try MNISTIDX.loadImages(path: gzPath)
    #expect(a == b)
    #expect(a.shape == [3, 1, 2, 2])
    #expect(a[2, 0, 1, 1] == Float(220) / 255)
  }

  @Test func truncatedRawFile() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write(
      "t-images-idx3-ubyte",
      Encoders.idx(
        magic: 0x803, dims: [10, 28, 28], payload: [UInt8](repeating: 1, count: 5 * 784)))
    expectDatasetError(.truncated, path: path) { _ = try MNISTIDX.loadImages(path: path) }
    let header = try folder.write("h-images-idx3-ubyte", [0, 0, 8, 3, 0, 0])
    expectDatasetError(.truncated, path: header) { _ = try MNISTIDX.loadImages(path: header) }
  }

  /// Found by `make fuzz` (target idx): a header of no images but a 3.1e9 × 4.3e9 image size needs
  /// no data bytes, and reading it trapped on an overflowing shape instead of refusing it.
  @Test func anImageSizeBeyondTheLimitIsRefusedEvenWithNoImages() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write(
      "fuzz-images-idx3-ubyte",
      [0, 0, 8, 3, 0, 0, 0, 0, 0xB9, 0, 1, 7, 0xFD, 0xFF, 0xFF, 0xFF])
    expectDatasetError(.tooLarge, path: path) { _ = try openExamples(path: path) }
  }

  @Test func truncatedGzipFile() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let real = try readBytes(SharedData.t10kImages)
    let path = try folder.write("cut-images-idx3-ubyte.gz", Array(real.prefix(100_000)))
    expectDatasetError(.truncated, path: path) { _ = try MNISTIDX.loadImages(path: path) }
    // A cut inside the 8-byte gzip trailer: all data inflates, the CRC/length check cannot run.
    let small = Encoders.gzip(Encoders.idx(magic: 0x801, dims: [3], payload: [1, 2, 3]))
    let trailer = try folder.write("trailer-labels-idx1-ubyte.gz", Array(small.dropLast(3)))
    expectDatasetError(.truncated, path: trailer) { _ = try MNISTIDX.loadLabels(path: trailer) }
  }

  @Test func corruptGzipData() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    var bytes = Encoders.gzip(Encoders.idx(magic: 0x801, dims: [3], payload: [1, 2, 3]))
    bytes[bytes.count - 6] ^= 0xFF  // flip a CRC byte
    let path = try folder.write("crc-labels-idx1-ubyte.gz", bytes)
    expectDatasetError(.decodeFailed, path: path) { _ = try MNISTIDX.loadLabels(path: path) }
  }

  @Test func wrongMagic() throws {
    // A labels file is not an images file, and the reverse.
    expectDatasetError(.badMagic, path: SharedData.t10kLabels) {
      _ = try MNISTIDX.loadImages(path: SharedData.t10kLabels)
    }
    expectDatasetError(.badMagic, path: SharedData.t10kImages) {
      _ = try MNISTIDX.loadLabels(path: SharedData.t10kImages)
    }
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write("text-images-idx3-ubyte", text: "hello, world, this is not IDX")
    let error = expectDatasetError(.badMagic, path: path) {
      _ = try MNISTIDX.loadImages(path: path)
    }
    #expect(error?.message.contains("0x68656c6c") == true)
  }

  @Test func headerClaimingTwoToTheFortyItems() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write(
      "huge-images-idx3-ubyte",
      Encoders.idx(magic: 0x803, dims: [1 << 20, 1 << 10, 1 << 10], payload: []))
    let error = expectDatasetError(.truncated, path: path) {
      _ = try MNISTIDX.loadImages(path: path)
    }
    #expect(error?.message.contains("1099511627776") == true)
    // Dimensions whose product overflows Int are refused the same way.
    let overflow = try folder.write(
      "overflow-images-idx3-ubyte",
      Encoders.idx(magic: 0x803, dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [0]))
    expectDatasetError(.truncated, path: overflow) { _ = try MNISTIDX.loadImages(path: overflow) }
  }

  @Test func emptyFileAndTrailingBytes() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let empty = try folder.write("empty-images-idx3-ubyte", [])
    expectDatasetError(.truncated, path: empty) { _ = try MNISTIDX.loadImages(path: empty) }
    let trailing = try folder.write(
      "trailing-labels-idx1-ubyte", Encoders.idx(magic: 0x801, dims: [2], payload: [1, 2, 3]))
    expectDatasetError(.badHeader, path: trailing) { _ = try MNISTIDX.loadLabels(path: trailing) }
    let missing = folder.file("missing")
    expectDatasetError(.unreadable, path: missing) { _ = try MNISTIDX.loadLabels(path: missing) }
    expectDatasetError(.unreadable, path: folder.path) {
      _ = try MNISTIDX.loadLabels(path: folder.path)
    }
  }

  @Test func countMismatchBetweenImagesAndLabels() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let images = try folder.write(
      "m-images-idx3-ubyte", Encoders.idx(magic: 0x803, dims: [2, 1, 1], payload: [0, 255]))
    let labels = try folder.write(
      "m-labels-idx1-ubyte", Encoders.idx(magic: 0x801, dims: [3], payload: [0, 1, 2]))
    let error = expectDatasetError(.badShape, path: images) {
      _ = try MNISTIDX.load(imagesPath: images, labelsPath: labels)
    }
    #expect(error?.description.contains(labels) == true)
    expectDatasetError(.invalidArgument, path: labels) {
      _ = try MNISTIDX.loadLabels(path: labels, limit: -1)
    }
  }

  @Test func decompressedSizeLimit() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write("big.gz", Encoders.gzip([UInt8](repeating: 7, count: 10_000)))
    expectDatasetError(.tooLarge, path: path) {
      _ = try GzipFile.readAll(path: path, maxBytes: 9_999)
    }
    #expect(try GzipFile.readAll(path: path, maxBytes: 10_000).count == 10_000)
  }
}
