import CDBNNumerics
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNDatasets

@Suite struct ImageCodecTests {
  @Test func cameraPNG() throws {
    let image = try DecodedImage(path: SharedData.camera)
    #expect(image.width == 512)
    #expect(image.height == 512)
    #expect(image.channels == 1)
    #expect(image.pixels.count == 512 * 512)
    #expect(image.pixels.allSatisfy { (0...1).contains($0) })
    #expect(image.tensor.shape == [1, 1, 512, 512])
    let probe = try DecodedImage.probe(path: SharedData.camera)
    #expect(probe == (512, 512, 1))
  }

  @Test func rocketJPEGToGray() throws {
    let rgb = try DecodedImage(path: SharedData.rocket)
    #expect(rgb.width == 640)
    #expect(rgb.height == 427)
    #expect(rgb.channels == 3)
    let gray = rgb.grayscale()
    #expect(gray.channels == 1)
    #expect(gray.tensor.shape == [1, 1, 427, 640])
    let plane = 640 * 427
    let i = 200 * 640 + 300
    let expected =
      0.299 * rgb.pixels[i] + 0.587 * rgb.pixels[plane + i] + 0.114 * rgb.pixels[2 * plane + i]
    #expect(abs(gray.pixels[i] - expected) < 1e-6)
    #expect(Set(rgb.pixels).count > 200)
  }

  @Test func sixteenBitRGBAAndPalettePNG() throws {
    // 16-bit gray without gAMA: read as sRGB-encoded, so 0x8080 stays ~128/255.
    let gray16 = Encoders.png(
      width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [[0x80, 0x80, 0xFF, 0xFF]])
    let a = try DecodedImage(data: gray16, path: "gray16.png")
    #expect(a.channels == 1)
    #expect(a.pixels == [128 / 255, 1])
    // RGBA: alpha composited onto black; fully opaque pixels unchanged.
    let rgba = Encoders.png(
      width: 2, height: 1, bitDepth: 8, colorType: 6, rows: [[255, 0, 0, 255, 10, 20, 30, 0]])
    let b = try DecodedImage(data: rgba, path: "rgba.png")
    #expect(b.channels == 3)
    #expect(b.pixels == [1, 0, 0, 0, 0, 0])
    // 1-bit gray expands to 0 and 1.
    let bits = Encoders.png(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_0000]])
    #expect(try DecodedImage(data: bits, path: "bits.png").pixels == [1, 0, 1, 0, 0, 0, 0, 0])
  }

  @Test func pngWriteThenReadBack() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let width = 7
    let height = 5
    let bytes = (0..<(width * height)).map { UInt8(($0 * 37) % 256) }
    let path = folder.file("gray.png")
    try PNGWriter.write(gray: bytes, width: width, height: height, to: path)
    let back = try DecodedImage(path: path)
    #expect(back.width == width && back.height == height && back.channels == 1)
    #expect(back.pixels.map { UInt8(($0 * 255).rounded()) } == bytes)

    // Floats quantise to the nearest 1/255 and overwrite the existing file.
    let floats = (0..<(width * height)).map { Float($0) / Float(width * height - 1) }
    try PNGWriter.write(gray: floats, width: width, height: height, to: path)
    let again = try DecodedImage(path: path)
    #expect(zip(again.pixels, floats).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-6 })
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(leftovers == ["gray.png"])

    let rgb = (0..<(width * height * 3)).map { UInt8(($0 * 11) % 256) }
    let rgbPath = folder.file("rgb.png")
    try PNGWriter.write(rgb: rgb, width: width, height: height, to: rgbPath)
    let color = try DecodedImage(path: rgbPath)
    #expect(color.channels == 3)
    try PNGWriter.write(color, to: folder.file("copy.png"))
    #expect(try DecodedImage(path: folder.file("copy.png")) == color)
  }

  @Test func pngWriterRefusesBadInput() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = folder.file("bad.png")
    expectDatasetError(.badShape, path: path) {
      try PNGWriter.write(gray: [UInt8](repeating: 0, count: 5), width: 2, height: 2, to: path)
    }
    expectDatasetError(.badValue, path: path) {
      try PNGWriter.write(gray: [Float(0), .nan, 0, 0], width: 2, height: 2, to: path)
    }
    expectDatasetError(.invalidArgument, path: path) {
      try PNGWriter.write(gray: [UInt8](), width: 0, height: 0, to: path)
    }
    let missing = folder.file("no/such/folder/x.png")
    expectDatasetError(.writeFailed, path: missing) {
      try PNGWriter.write(gray: [UInt8(0)], width: 1, height: 1, to: missing)
    }
  }

  @Test func truncatedAndFakeImages() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let png = try readBytes(SharedData.camera)
    let cutPNG = try folder.write("cut.png", Array(png.prefix(png.count / 2)))
    expectDatasetError(.decodeFailed, path: cutPNG) { _ = try DecodedImage(path: cutPNG) }
    let headerOnly = try folder.write("header.png", Array(png.prefix(20)))
    expectDatasetError(.decodeFailed, path: headerOnly) { _ = try DecodedImage(path: headerOnly) }

    let jpeg = try readBytes(SharedData.rocket)
    let cutJPEG = try folder.write("cut.jpg", Array(jpeg.prefix(jpeg.count / 2)))
    expectDatasetError(.truncated, path: cutJPEG) { _ = try DecodedImage(path: cutJPEG) }
    let jpegHeader = try folder.write("header.jpg", Array(jpeg.prefix(3)))
    expectDatasetError(.truncated, path: jpegHeader) { _ = try DecodedImage(path: jpegHeader) }
    // A start-of-frame claiming 13-bit samples, which no JPEG decoder accepts.
    var garbage = jpeg
    let sof = try #require(
      (2..<(garbage.count - 4)).first { garbage[$0] == 0xFF && garbage[$0 + 1] == 0xC0 })
    garbage[sof + 4] = 13
    let corrupt = try folder.write("corrupt.jpg", garbage)
    expectDatasetError(.decodeFailed, path: corrupt) { _ = try DecodedImage(path: corrupt) }

    let text = try folder.write("notes.png", text: "this is a text file, not a picture\n")
    expectDatasetError(.unsupportedFormat, path: text) { _ = try DecodedImage(path: text) }
    let empty = try folder.write("empty.jpg", [])
    expectDatasetError(.truncated, path: empty) { _ = try DecodedImage(path: empty) }
  }

  @Test func hugeClaimedSizeIsRefusedBeforeAllocating() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    // IHDR says 100000 x 100000; there is no pixel data at all.
    let png = Encoders.png(width: 100_000, height: 100_000, bitDepth: 8, colorType: 0, rows: [])
    let path = try folder.write("huge.png", png)
    expectDatasetError(.tooLarge, path: path) { _ = try DecodedImage(path: path) }
  }

  @Test func resizeAndCrop() throws {
    let image = DecodedImage(width: 4, height: 2, channels: 1, pixels: [0, 1, 2, 3, 4, 5, 6, 7])
    #expect(image.resized(width: 4, height: 2) == image)
    // Halving widens the triangle to 2 source pixels: output x = 0 is centred at source 1.0 and
    // weighs pixels 0, 1, 2 by 0.75, 0.75, 0.25 (pixel 3 is 2.5 away: 0), normalised by 1.75.
    // Both rows are averaged equally. Column means 2 3 4 5 give (1.5 + 2.25 + 1) / 1.75 and
    // (0.75 + 3 + 3.75) / 1.75.
    let half = image.resized(width: 2, height: 1)
    #expect(abs(half.pixels[0] - 4.75 / 1.75) < 1e-6 && abs(half.pixels[1] - 7.5 / 1.75) < 1e-6)
    let double = image.resized(width: 8, height: 4)
    #expect(double.pixels.count == 32)
    #expect(double.pixels.first == 0 && double.pixels.last == 7)
    #expect(image.centerCropped(width: 2, height: 2)?.pixels == [1, 2, 5, 6])
    #expect(image.centerCropped(width: 5, height: 2) == nil)
    #expect(image.rgb().grayscale().pixels.count == 8)
  }

  @Test func shrinkingAveragesInsteadOfAliasing() throws {
    // A hand-made 4×4 picture, v(y, x) = 4y + x, halved: the filter is separable and the picture
    // linear, so each output is 4·Y + X with X, Y the weighted source centres 1.25/1.75 and
    // 4/1.75 from the halving taps above.
    let image = DecodedImage(
      width: 4, height: 4, channels: 1, pixels: (0..<16).map(Float.init))
    let low: Float = 1.25 / 1.75
    let high: Float = 4 / 1.75
    let expected = [4 * low + low, 4 * low + high, 4 * high + low, 4 * high + high]
    let half = image.resized(width: 2, height: 2)
    #expect(zip(half.pixels, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    // A checkerboard aliases to a flat 0 or 1 under plain bilinear sampling at 2:1; averaged it
    // becomes grey.
    let board = DecodedImage(
      width: 8, height: 8, channels: 1,
      pixels: (0..<64).map { Float(($0 / 8 + $0 % 8) % 2) })
    let grey = board.resized(width: 4, height: 4)
    #expect(grey.pixels.allSatisfy { abs($0 - 0.5) < 0.1 })
    // Enlarging stays bilinear: the centre of a 1→2 doubling reads the middle of two pixels.
    let pair = DecodedImage(width: 2, height: 1, channels: 1, pixels: [0, 1])
    #expect(pair.resized(width: 4, height: 1).pixels == [0, 0.25, 0.75, 1])
  }

  @Test func longestSide() {
    #expect(DecodedImage.longestSideSize(width: 640, height: 427, side: 150) == (150, 100))
    #expect(DecodedImage.longestSideSize(width: 200, height: 300, side: 150) == (100, 150))
    #expect(DecodedImage.longestSideSize(width: 50, height: 1, side: 150) == (150, 3))
    #expect(DecodedImage.longestSideSize(width: 1000, height: 1, side: 10) == (10, 1))
  }

  @Test func formatDetection() {
    #expect(ImageFormat.detect(PNGCodec.signature) == .png)
    #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
    #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)
    #expect(ImageFormat.hasImageExtension("A.JPEG"))
    #expect(ImageFormat.hasImageExtension("b.Png"))
    #expect(!ImageFormat.hasImageExtension("c.txt"))
    #expect(!ImageFormat.hasImageExtension("png"))
  }
}
