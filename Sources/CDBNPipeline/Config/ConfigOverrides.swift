import Yams

/// `--set key.path=value` overrides of a YAML config: `training.epochs=20`, `data.limit=1000`,
/// `layers.1.sparsity_target=0.02`, `data.patch=[64, 64]`. The value is YAML (a number, a flow list,
/// `true`, a string); a number in the path indexes a list. A missing mapping on the way is created,
/// so a key the config leaves out can be given; the config's own checks then judge the result
/// (unknown keys, ranges), naming the key.
public enum ConfigOverrides {
  /// `text` with every override applied, in order, as YAML text: the config that will run and be
  /// stored. Without overrides, `text` itself (comments kept).
  public static func apply(_ overrides: [String], to text: String, file: String) throws -> String {
    guard !overrides.isEmpty else { return text }
    var root = try ConfigReader.root(yaml: text, file: file)
    for override in overrides {
      guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
        throw PipelineError(file, "--set \(override): expected key.path=value")
      }
      let path = override[..<equals].split(separator: ".", omittingEmptySubsequences: false)
        .map(String.init)
      let valueText = String(override[override.index(after: equals)...])
      guard !path.contains(where: \.isEmpty) else {
        throw PipelineError(file, "--set \(override): the key path has an empty part")
      }
      let value: Node
      do {
        value = try Yams.compose(yaml: valueText) ?? Node("")
      } catch {
        throw PipelineError(file, "--set \(override): the value is not valid YAML: \(error)")
      }
      try set(value, at: path[...], in: &root, override: override, file: file)
    }
    do {
      return try Yams.serialize(node: root, width: -1, sortKeys: false)
    } catch {
      throw PipelineError(file, "--set: the result cannot be written as YAML: \(error)")
    }
  }

  private static func set(
    _ value: Node, at path: ArraySlice<String>, in node: inout Node, override: String, file: String
  ) throws {
    guard let key = path.first else {
      node = value
      return
    }
    let rest = path.dropFirst()
    switch node {
    case .mapping(var mapping):
      var child = mapping[key] ?? Node.mapping(Node.Mapping([]))
      // `key:` with nothing after it is a null that a path may go through, as an empty mapping.
      if child.null != nil, !rest.isEmpty { child = Node.mapping(Node.Mapping([])) }
      try set(value, at: rest, in: &child, override: override, file: file)
      mapping[key] = child
      node = .mapping(mapping)
    case .sequence(var sequence):
      guard let index = Int(key), sequence.indices.contains(index) else {
        throw PipelineError(
          file,
          "--set \(override): \"\(key)\" is not an index of a list of \(sequence.count) (0 is the first)"
        )
      }
      var child = sequence[index]
      try set(value, at: rest, in: &child, override: override, file: file)
      sequence[index] = child
      node = .sequence(sequence)
    default:
      throw PipelineError(
        file,
        "--set \(override): \"\(key)\" goes inside a value that is neither a mapping nor a list")
    }
  }

  /// Whether two configs are the same but for epochs (`training.epochs` and every layer's) and for
  /// layers after the first `layers`: what a resumed run may change. Key order, comments and
  /// layout do not matter; a value written differently ("0.05" and "5e-2") does.
  static func sameExceptEpochs(_ a: String, _ b: String, layers: Int, file: String) throws -> Bool {
    func normalized(_ text: String) throws -> Node {
      let root = try ConfigReader.root(yaml: text, file: file)
      guard case .mapping(var top) = root else { return root }
      if case .mapping(var training)? = top["training"] {
        training["epochs"] = nil
        top["training"] = training.isEmpty ? nil : .mapping(training)
      }
      if case .sequence(let list)? = top["layers"] {
        top["layers"] = .sequence(
          Node.Sequence(
            list.prefix(layers).map { layer in
              guard case .mapping(var m) = layer else { return layer }
              m["epochs"] = nil
              return .mapping(m)
            }))
      }
      return canonical(.mapping(top))
    }
    return try normalized(a) == normalized(b)
  }

  /// `node` with every mapping's keys in sorted order.
  private static func canonical(_ node: Node) -> Node {
    switch node {
    case .mapping(let mapping):
      return .mapping(
        Node.Mapping(
          mapping.map { ($0.key, canonical($0.value)) }.sorted { $0.0 < $1.0 }))
    case .sequence(let sequence): return .sequence(Node.Sequence(sequence.map(canonical)))
    default: return node
    }
  }
}
