/// Names of HDF5 links, relative to a group ("a/b") or absolute ("/a/b").
enum HDF5Path {
  /// The components of a member name, or nil if it is empty, has an empty component ("a//b"),
  /// or uses "." / "..", which HDF5 would resolve differently from a file system.
  static func components(_ name: String) -> [Substring]? {
    var rest = Substring(name)
    if rest.hasPrefix("/") { rest = rest.dropFirst() }
    guard !rest.isEmpty else { return name == "/" ? [] : nil }
    let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
    return parts
  }

  /// The full path of `name` seen from the group `parent`, or nil if the name is invalid.
  static func resolve(_ name: String, in parent: String) -> String? {
    guard let parts = components(name) else { return nil }
    let base = name.hasPrefix("/") ? "" : (parent == "/" ? "" : parent)
    return parts.isEmpty ? "/" : base + "/" + parts.joined(separator: "/")
  }

  /// Each successively longer prefix of `name` ("a", "a/b", "a/b/c"), keeping a leading "/".
  static func prefixes(_ name: String) -> [String]? {
    guard let parts = components(name) else { return nil }
    var current = name.hasPrefix("/") ? "/" : ""
    var result: [String] = []
    for part in parts {
      current += (current.isEmpty || current == "/" ? "" : "/") + part
      result.append(current)
    }
    return result
  }
}
