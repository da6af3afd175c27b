import CDBNNumerics
import CDBNStorage
import CDBNTestSupport
import Foundation
import Testing

@testable import CDBNDatasets

@Suite struct HDF5ExamplesTests {
  /// Writes `/data` (and optionally `/labels`, `/ids`) to a new file in `folder`.
  static func write(
    _ folder: TemporaryDirectory, _ name: String, shape: [Int], values: [Float]? = nil,
    labels: [Int]? = nil, ids: [String]? = nil
  ) throws -> String {
    let path = folder.file(name)
    let file = try HDF5File(path: path, mode: .truncate)
    let count = shape.reduce(1, *)
    try file.root.writeFloats("data", shape: shape, values ?? (0..<count).map { Float($0) })
    if let labels { try file.root.writeInts("labels", shape: [labels.count], labels) }
    if let ids { try file.root.writeStrings("ids", ids) }
    try file.closeChecked()
    return path
  }

  @Test func readsBatchesWithLabelsAndIds() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let path = try Self.write(
      folder, "set.h5", shape: [3, 1, 2, 2], labels: [2, 0, 1], ids: ["a", "b", "c"])
    let set = try HDF5Examples(path: path)
    #expect(set.count == 3)
    #expect(set.exampleShape == [1, 2, 2])
    #expect(set.labels == [2, 0, 1])
    #expect(set.ids == ["a", "b", "c"])
    let batch = try set.batch(1..<3)
    #expect(batch.shape == [2, 1, 2, 2])
    #expect(batch.scalars == (4..<12).map { Float($0) })
    #expect(try set.batch(3..<3).shape == [0, 1, 2, 2])
    expectDatasetError(.invalidArgument, path: path) { _ = try set.batch(2..<4) }

    let opened = try openExamples(path: path)
    #expect(opened.count == 3)
    #expect(try opened.batch(0..<1).scalars == [0, 1, 2, 3])
  }

  @Test func nanInABatchNamesTheExample() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    var values = [Float](repeating: 0.5, count: 4 * 3)
    values[2 * 3 + 1] = .nan
    let path = try Self.write(folder, "nan.h5", shape: [4, 3, 1, 1], values: values)
    let set = try HDF5Examples(path: path)
    #expect(try set.batch(0..<2).count == 6)
    let error = expectDatasetError(.badValue, path: path) { _ = try set.batch(1..<4) }
    #expect(error?.message.contains("example 2") == true)
  }

  @Test func badLayouts() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let rank3 = try Self.write(folder, "rank3.h5", shape: [2, 2, 2])
    expectDatasetError(.badShape, path: rank3) { _ = try HDF5Examples(path: rank3) }
    let labels = try Self.write(folder, "labels.h5", shape: [2, 1, 1, 1], labels: [0, 1, 2])
    expectDatasetError(.badShape, path: labels) { _ = try HDF5Examples(path: labels) }
    let ids = try Self.write(folder, "ids.h5", shape: [2, 1, 1, 1], ids: ["only one"])
    expectDatasetError(.badShape, path: ids) { _ = try HDF5Examples(path: ids) }

    let noData = folder.file("nodata.h5")
    let file = try HDF5File(path: noData, mode: .truncate)
    try file.root.writeInts("labels", shape: [1], [0])
    try file.closeChecked()
    expectDatasetError(.badShape, path: noData) { _ = try HDF5Examples(path: noData) }

    let text = try folder.write("text.h5", text: "not HDF5 at all")
    expectDatasetError(.decodeFailed, path: text) { _ = try HDF5Examples(path: text) }
    let bytes = try readBytes(labels)
    let cut = try folder.write("cut.h5", Array(bytes.prefix(bytes.count / 3)))
    expectDatasetError(.decodeFailed, path: cut) { _ = try HDF5Examples(path: cut) }
    let missing = folder.file("missing.h5")
    expectDatasetError(.unreadable, path: missing) { _ = try HDF5Examples(path: missing) }
  }
}
