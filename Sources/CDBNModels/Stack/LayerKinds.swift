import CDBNStorage

/// The layer kinds cdbn knows, by name: configs are read and checkpoint groups loaded through this
/// list, so the pipeline never names a kind. Adding a kind is one folder of this module plus one
/// line in `standard`; a program (or a test) with a kind of its own passes `adding(_:)`'s list.
public struct LayerKinds: Sendable {
  public let all: [any LayerSettings.Type]

  public init(_ all: [any LayerSettings.Type]) { self.all = all }

  /// The kinds this package provides. The first is what a config entry without `kind` means.
  public static let standard = LayerKinds([
    CRBMLayerSettings.self, PSDLayerSettings.self, DeconvLayerSettings.self,
  ])

  /// This list with one more kind.
  public func adding(_ kind: any LayerSettings.Type) -> LayerKinds { LayerKinds(all + [kind]) }

  /// The names, for messages: "crbm, psd, deconv".
  public var names: String { all.map { $0.kind }.joined(separator: ", ") }

  /// The kind called `name`, or nil.
  public func settingsType(named name: String) -> (any LayerSettings.Type)? {
    all.first { $0.kind == name }
  }

  /// Reads a layer of any known kind from its checkpoint group, by the group's `kind` attribute.
  public func load(from group: HDF5Group) throws -> any FeatureLayer {
    let kind = try group.stringAttribute("kind")
    guard let type = settingsType(named: kind)?.layerType else {
      throw ModelError.malformedCheckpoint(
        "\(group.name): unknown layer kind \"\(kind)\" (known: \(names))")
    }
    return try type.init(from: group)
  }
}
