import CDBNStorage
import CDBNTestSupport
import Testing

@Suite struct AttributeTests {
  @Test func everyAttributeKindRoundTripsOnGroupsAndDatasets() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("attributes.h5")

    do {
      let file = try HDF5File(path: path, mode: .truncate)
      let group = try file.root.createGroup("layers/0")
      let dataset = try group.createDataset("weights", type: .float32, shape: [2, 3])
      for holder in [file.root, group, dataset] as [any HDF5AttributeHolder] {
        try holder.setAttribute("name", "crbm – layer ü")
        try holder.setAttribute("empty", "")
        try holder.setAttribute("epochs", -42)
        try holder.setAttribute("big", Int.max)
        try holder.setAttribute("rate", 0.125)
        try holder.setAttribute("shape", [1, 24, -3, 1 << 40])
        try holder.setAttribute("means", [0.5, -1e300, .infinity])
        try holder.setAttribute("none", [Int]())
      }
      file.close()
    }

    let file = try HDF5File(path: path, mode: .readOnly)
    let group = try file.root.openGroup("layers/0")
    let dataset = try group.openDataset("weights")
    for holder in [file.root, group, dataset] as [any HDF5AttributeHolder] {
      #expect(try holder.stringAttribute("name") == "crbm – layer ü")
      #expect(try holder.stringAttribute("empty") == "")
      #expect(try holder.intAttribute("epochs") == -42)
      #expect(try holder.intAttribute("big") == Int.max)
      #expect(try holder.doubleAttribute("rate") == 0.125)
      #expect(try holder.intArrayAttribute("shape") == [1, 24, -3, 1 << 40])
      #expect(try holder.doubleArrayAttribute("means") == [0.5, -1e300, .infinity])
      #expect(try holder.intArrayAttribute("none") == [])
      #expect(
        try holder.attributeNames() == [
          "big", "empty", "epochs", "means", "name", "none", "rate", "shape",
        ])
      #expect(holder.hasAttribute("rate"))
      #expect(!holder.hasAttribute("missing"))
    }
  }

  @Test func numericAttributesConvertBetweenIntegerAndFloat() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("convert.h5"), mode: .truncate)
    let root = file.root
    try root.setAttribute("count", 7)
    try root.setAttribute("scale", 3.0)
    try root.setAttribute("one", [5])
    #expect(try root.doubleAttribute("count") == 7)
    #expect(try root.intAttribute("scale") == 3)
    #expect(try root.intAttribute("one") == 5)
    #expect(try root.intArrayAttribute("count") == [7])
    #expect(try root.doubleArrayAttribute("one") == [5])
  }

  @Test func setAttributeReplacesAnExistingAttributeOfAnotherType() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try HDF5File(path: directory.file("replace.h5"), mode: .truncate)
    try file.root.setAttribute("value", "text")
    try file.root.setAttribute("value", [1.5, 2.5])
    #expect(try file.root.doubleArrayAttribute("value") == [1.5, 2.5])
    try file.root.setAttribute("value", 9)
    #expect(try file.root.intAttribute("value") == 9)
    #expect(try file.root.attributeNames() == ["value"])
  }

  @Test func wrongKindsOfAttributeAreErrorsNamingTheAttribute() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("kinds.h5")
    let file = try HDF5File(path: path, mode: .truncate)
    let group = try file.root.createGroup("g")
    try group.setAttribute("list", [1, 2, 3])
    try group.setAttribute("label", "x")

    let notOne = #expect(throws: HDF5Error.self) { try group.intAttribute("list") }
    #expect(notOne?.description.contains(path) == true)
    #expect(notOne?.description.contains("\"list\" on group /g") == true)
    #expect(throws: HDF5Error.self) { try group.doubleAttribute("label") }
    #expect(throws: HDF5Error.self) { try group.intArrayAttribute("label") }
    #expect(throws: HDF5Error.self) { try group.stringAttribute("list") }
    #expect(throws: HDF5Error.self) { try group.setAttribute("", 1) }
  }
}
