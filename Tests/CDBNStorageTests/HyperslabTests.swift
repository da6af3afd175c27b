import CDBNStorage
import CDBNTestSupport
import Testing

@Suite struct HyperslabTests {
  /// The value stored at (i, j, k) of the test volume.
  private func value(_ i: Int, _ j: Int, _ k: Int) -> Float { Float(i * 100 + j * 10 + k) }

  @Test(arguments: [nil, [1, 2, 3]] as [[Int]?])
  func aThreeDimensionalFloatDatasetIsWrittenAndReadPieceByPiece(chunk: [Int]?) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("volume.h5")
    let shape = [4, 5, 6]

    do {
      let file = try HDF5File(path: path, mode: .truncate)
      let dataset = try file.root.createDataset(
        "features", type: .float32, shape: shape, chunk: chunk)
      #expect(dataset.shape == shape)
      #expect(dataset.name == "/features")
      // One slab per first index, each written in two halves along the last axis.
      for i in 0..<4 {
        for half in 0..<2 {
          let block = (0..<5).flatMap { j in (0..<3).map { k in value(i, j, half * 3 + k) } }
          try dataset.writeFloats(start: [i, 0, half * 3], count: [1, 5, 3], block)
        }
      }
      try dataset.setAttribute("source", "unit test")
      file.close()
    }

    let file = try HDF5File(path: path, mode: .readOnly)
    let dataset = try file.root.openDataset("features")
    #expect(dataset.shape == shape)
    #expect(dataset.elementType == .float32)
    #expect(try dataset.stringAttribute("source") == "unit test")
    // An interior block.
    let block = try dataset.readFloats(start: [1, 2, 3], count: [2, 2, 3])
    let expected = (1..<3).flatMap { i in
      (2..<4).flatMap { j in (3..<6).map { k in value(i, j, k) } }
    }
    #expect(block == expected)
    // Row by row, which must reassemble the whole volume.
    var rows: [Float] = []
    for i in 0..<4 {
      for j in 0..<5 { rows += try dataset.readFloats(start: [i, j, 0], count: [1, 1, 6]) }
    }
    #expect(rows == (try file.root.readFloats("features").values))
    #expect(rows[((3 * 5) + 4) * 6 + 5] == value(3, 4, 5))
    #expect(try dataset.readFloats(start: [4, 0, 0], count: [0, 5, 6]) == [])
  }

  @Test func integerAndStringDatasetsStreamToo() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("stream.h5"), mode: .truncate)
    let labels = try file.root.createDataset("labels", type: .int64, shape: [6])
    try labels.writeInts(start: [2], count: [3], [7, 8, 9])
    #expect(try labels.readInts(start: [0], count: [6]) == [0, 0, 7, 8, 9, 0])
    let names = try file.root.createDataset("names", type: .string, shape: [5])
    try names.writeStrings(start: 1, ["a", "bé"])
    try names.writeStrings(start: 4, ["last"])
    #expect(try names.readStrings(start: 0, count: 5) == ["", "a", "bé", "", "last"])
    #expect(try file.root.readStrings("names") == ["", "a", "bé", "", "last"])
    let pixels = try file.root.createDataset("pixels", type: .uint8, shape: [2, 3])
    try pixels.writeUInt8s(start: [1, 0], count: [1, 3], [1, 2, 255])
    #expect(try file.root.readUInt8s("pixels").values == [0, 0, 0, 1, 2, 255])
  }

  @Test func largeDatasetsAreChunkedAndUnwrittenPartsReadAsZero() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("large.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    // 8 MiB declared; only one row is ever written, so the file stays small.
    let dataset = try file.root.createDataset("big", type: .float32, shape: [2048, 1024])
    let row = (0..<1024).map(Float.init)
    try dataset.writeFloats(start: [1500, 0], count: [1, 1024], row)
    #expect(try dataset.readFloats(start: [1500, 0], count: [1, 1024]) == row)
    #expect(try dataset.readFloats(start: [0, 0], count: [1, 4]) == [0, 0, 0, 0])
    file.close()
    let size = try #require(fileSize(path))
    #expect(size < 4 << 20)
  }

  @Test func selectionsAreCheckedAgainstTheShapeFirst() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("bounds.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    let dataset = try file.root.createDataset("grid/values", type: .float32, shape: [3, 4])
    let outside = #expect(throws: HDF5Error.self) {
      try dataset.readFloats(start: [2, 0], count: [2, 4])
    }
    #expect(outside?.description.contains(path) == true)
    #expect(outside?.description.contains("dataset /grid/values") == true)
    #expect(throws: HDF5Error.self) { try dataset.readFloats(start: [0], count: [1]) }
    #expect(throws: HDF5Error.self) { try dataset.readFloats(start: [0, -1], count: [1, 1]) }
    #expect(throws: HDF5Error.self) { try dataset.readFloats(start: [0, 0], count: [1, -1]) }
    #expect(throws: HDF5Error.self) {
      try dataset.readFloats(start: [Int.max, 0], count: [Int.max, 1])
    }
    #expect(throws: HDF5Error.self) {
      try dataset.writeFloats(start: [0, 0], count: [1, 2], [1, 2, 3])
    }
    #expect(throws: HDF5Error.self) { try dataset.readStrings(start: 0, count: 1) }
    #expect(throws: HDF5Error.self) { try dataset.writeStrings(start: 0, ["x"]) }
  }

  @Test func implausiblyLargeReadsAreRefusedWithoutAllocating() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("huge.h5"), mode: .truncate)
    // 2^33 elements declared but never written: chunked storage costs nothing.
    let dataset = try file.root.createDataset("huge", type: .float32, shape: [1 << 21, 1 << 12])
    let error = #expect(throws: HDF5Error.self) { try file.root.readFloats("huge") }
    #expect(error?.description.contains("dataset /huge") == true)
    #expect(throws: HDF5Error.self) {
      try dataset.readFloats(start: [0, 0], count: [1 << 20, 1 << 12])
    }
    #expect(try dataset.readFloats(start: [5, 5], count: [1, 2]) == [0, 0])
  }
}
