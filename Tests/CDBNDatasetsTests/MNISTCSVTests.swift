import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNDatasets

@Suite struct MNISTCSVTests {
  /// A CSV line of 784 pixels then a label; `pixel` fills every pixel field.
  static func line(pixel: String = "0", label: String = "3", columns: Int = 785) -> String {
    (Array(repeating: pixel, count: columns - 1) + [label]).joined(separator: ",")
  }

  @Test func realFiveThousandRows() throws {
    let set = try MNISTCSV.load(path: SharedData.csv5k)
    #expect(set.count == 5000)
    #expect(set.tensor.shape == [5000, 1, 28, 28])
    #expect(set.exampleShape == [1, 28, 28])
    let labels = try #require(set.labels)
    for digit in 0...9 {
      #expect(labels.filter { $0 == digit }.count == 500)
    }
    #expect(set.tensor.scalars.min() == 0)
    #expect(set.tensor.scalars.max() == 1)
    let first = try MNISTCSV.load(path: SharedData.csv5k, limit: 3)
    #expect(first.count == 3)
    #expect(first.tensor == set.tensor.slice(0..<3))
  }

  @Test func decimalsCRLFAndBlankLines() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let text =
      Self.line(pixel: "255.0", label: "7.0") + "\r\n\r\n" + Self.line(pixel: " 51 ", label: "0")
      + "\n"
    let path = try folder.write("ok.csv", text: text)
    let set = try MNISTCSV.load(path: path)
    #expect(set.labels == [7, 0])
    #expect(set.tensor[0, 0, 27, 27] == 1)
    #expect(set.tensor[1, 0, 0, 0] == Float(51) / 255)
  }

  @Test func rowWith783Columns() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write(
      "short.csv", text: Self.line() + "\n" + Self.line(columns: 784) + "\n")
    let error = expectDatasetError(.badShape, path: path) { _ = try MNISTCSV.load(path: path) }
    #expect(error?.message.contains("line 2") == true)
    #expect(error?.message.contains("784 columns") == true)
  }

  @Test func nanAndNonNumericAndOutOfRange() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let cases: [(String, String)] = [
      ("nan.csv", Self.line(pixel: "nan")),
      ("inf.csv", Self.line(label: "inf")),
      ("word.csv", Self.line(pixel: "abc")),
      ("empty-field.csv", Self.line(pixel: "")),
      ("big.csv", Self.line(pixel: "256")),
      ("negative.csv", Self.line(pixel: "-1")),
      ("label.csv", Self.line(label: "10")),
      ("fraction-label.csv", Self.line(label: "2.5")),
    ]
    for (name, text) in cases {
      let path = try folder.write(name, text: Self.line() + "\n" + text + "\n")
      let error = expectDatasetError(.badValue, path: path) { _ = try MNISTCSV.load(path: path) }
      #expect(error?.message.contains("line 2") == true, "\(name)")
    }
  }

  @Test func emptyFile() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try folder.write("empty.csv", [])
    expectDatasetError(.truncated, path: path) { _ = try MNISTCSV.load(path: path) }
    let blank = try folder.write("blank.csv.gz", Encoders.gzip(Array("\n\n".utf8)))
    expectDatasetError(.truncated, path: blank) { _ = try MNISTCSV.load(path: blank) }
  }
}
