import CDBNStorage
import CDBNTestSupport
import Testing

@Suite struct DatasetTests {
  @Test func everyDatasetKindRoundTrips() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("datasets.h5")
    let floats: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
    let states: [UInt64] = [0, 1, UInt64.max, 0x9E37_79B9_7F4A_7C15]
    let names = ["zero", "", "ünïcödé ✓", String(repeating: "long ", count: 100)]

    do {
      let file = try HDF5File(path: path, mode: .truncate)
      let root = file.root
      try root.writeFloats("layers/0/weights", shape: [2, 3, 4], floats)
      try root.writeInts("labels", shape: [5], [3, -1, 0, Int.max, Int.min])
      try root.writeUInt64s("rng/state", shape: [2, 2], states)
      try root.writeDoubles("scalar", shape: [], [Double.pi])
      try root.writeDoubles("empty", shape: [0, 3], [])
      try root.writeUInt8s("pixels", shape: [2, 2], [0, 127, 128, 255])
      try root.writeStrings("names", names)
      try root.writeStrings("no-names", [])
      try file.flush()
      file.close()
    }

    let file = try HDF5File(path: path, mode: .readOnly)
    let root = file.root
    let weights = try root.readFloats("layers/0/weights")
    #expect(weights.shape == [2, 3, 4])
    #expect(weights.values == floats)
    #expect(try root.readInts("labels").values == [3, -1, 0, Int.max, Int.min])
    #expect(try root.readUInt64s("rng/state") == ([2, 2], states))
    #expect(try root.readDoubles("scalar") == ([], [Double.pi]))
    #expect(try root.readDoubles("empty") == ([0, 3], []))
    #expect(try root.readUInt8s("pixels").values == [0, 127, 128, 255])
    #expect(try root.readStrings("names") == names)
    #expect(try root.readStrings("no-names") == [])

    #expect(try root.openDataset("layers/0/weights").elementType == .float32)
    #expect(try root.openDataset("labels").elementType == .int64)
    #expect(try root.openDataset("rng/state").elementType == .uint64)
    #expect(try root.openDataset("scalar").elementType == .float64)
    #expect(try root.openDataset("pixels").elementType == .uint8)
    #expect(try root.openDataset("names").elementType == .string)
  }

  @Test func readsConvertBetweenStoredAndRequestedTypes() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("convert.h5"), mode: .truncate)
    let root = file.root
    try root.writeDoubles("d", shape: [3], [1.5, -2.25, 1e10])
    try root.writeInts("i", shape: [3], [7, -8, 9])
    #expect(try root.readFloats("d").values == [1.5, -2.25, 1e10])
    #expect(try root.readFloats("i").values == [7, -8, 9])
    #expect(try root.readDoubles("i").values == [7, -8, 9])
    #expect(try root.readInts("d").values[0...1] == [1, -2])
  }

  @Test func writingAgainReplacesADatasetWithAnotherShapeAndType() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("replace.h5"), mode: .truncate)
    try file.root.writeFloats("x", shape: [2, 2], [1, 2, 3, 4])
    try file.root.writeInts("x", shape: [3], [5, 6, 7])
    #expect(try file.root.readInts("x") == ([3], [5, 6, 7]))
    #expect(try file.root.memberNames() == ["x"])
    try file.root.createGroup("g").setAttribute("keep", 1)
    #expect(throws: HDF5Error.self) { try file.root.writeInts("g", shape: [1], [1]) }
    #expect(try file.root.openGroup("g").intAttribute("keep") == 1)
  }

  @Test func shapeAndValueCountMustAgree() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("shape.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    let error = #expect(throws: HDF5Error.self) {
      try file.root.writeFloats("w", shape: [2, 3], [1, 2, 3])
    }
    #expect(error?.description == "\(path): dataset /w: shape [2, 3] needs 6 values, got 3")
    #expect(throws: HDF5Error.self) { try file.root.writeFloats("w", shape: [-1, 2], []) }
    #expect(!file.root.contains("w"))
  }

  @Test func groupsNestListAndResolveRelativeAndAbsoluteNames() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("groups.h5"), mode: .truncate)
    let root = file.root
    #expect(root.name == "/")
    let layer = try root.createGroup("layers/1")
    #expect(layer.name == "/layers/1")
    _ = try root.createGroup("layers/0")
    _ = try root.createGroup("layers/10")
    try layer.writeFloats("bias", shape: [2], [0, 1])
    try root.writeInts("meta", shape: [1], [1])

    #expect(try root.memberNames() == ["layers", "meta"])
    #expect(try root.openGroup("layers").memberNames() == ["0", "1", "10"])
    #expect(root.contains("layers/1/bias"))
    #expect(root.contains("/layers/1/bias"))
    #expect(layer.contains("bias"))
    #expect(!root.contains("layers/2/bias"))
    #expect(!root.contains("meta/inside"))
    #expect(!root.contains("layers//1"))
    #expect(!root.contains(""))
    #expect(root.isGroup("layers/1"))
    #expect(!root.isGroup("layers/1/bias"))
    #expect(!root.isGroup("nothing"))
    let again = try layer.openGroup("/layers/0")
    #expect(again.name == "/layers/0")
    #expect(try layer.readFloats("/layers/1/bias").values == [0, 1])
    #expect(throws: HDF5Error.self) { try root.createGroup("layers/1") }
    #expect(throws: HDF5Error.self) { try root.createGroup("a/../b") }
  }
}
