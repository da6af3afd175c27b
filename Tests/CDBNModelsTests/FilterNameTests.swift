import CDBNModels
import CDBNStorage
import CDBNTestSupport
import Testing

/// Every layer kind's filters are at `filters` in its checkpoint group (a second name for the
/// CRBM's `weights` and PSD's `dictionary`, which stay), and a group with only `filters` loads.
@Suite struct FilterNameTests {
  @Test func everyKindHasItsFiltersAtOneName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let file = try HDF5File(path: dir.file("layers.h5"), mode: .truncate)
    defer { file.close() }
    let rbm = try ConvRBM(
      visible: .binary, channels: 2, filters: 3, filterHeight: 4, filterWidth: 5, poolHeight: 2,
      poolWidth: 2, seed: 1)
    let psd = try psdLayer(filter: (3, 3))
    let layers: [(String, any FeatureLayer, String)] = [
      ("crbm", rbm, "weights"), ("psd", psd, "dictionary"),
    ]
    for (name, layer, own) in layers {
      let group = try file.root.createGroup(name)
      try layer.save(to: group)
      let filters = try group.readFloats("filters")
      #expect(filters.shape == layer.filters.shape && filters.values == layer.filters.scalars)
      #expect(try group.readFloats(own).values == filters.values)
    }
    // A CRBM group written by another tool with `filters` only.
    let other = try file.root.createGroup("other")
    for attribute in ["kind", "visible"] {
      try other.setAttribute(attribute, try file.root.openGroup("crbm").stringAttribute(attribute))
    }
    try other.setAttribute("pooling", [2, 2])
    try other.writeFloats("filters", shape: rbm.weights.shape, rbm.weights.scalars)
    try other.writeFloats("hidden_bias", shape: [3], rbm.hiddenBias)
    try other.writeFloats("visible_bias", shape: [2], rbm.visibleBias)
    let loaded = try ConvRBM(from: other)
    #expect(loaded.weights == rbm.weights)
    #expect(throws: HDF5Error.self) { try other.link("filters", as: "hidden_bias") }
  }
}
