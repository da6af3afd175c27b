import CDBNDatasets
import CDBNModels
import Yams

/// Reads typed values out of a YAML mapping, with errors that give the file, line and key, and that
/// refuse unknown keys (a misspelt option must not be silently ignored).
struct ConfigReader: LayerSettingsReader {
  let file: String
  let node: Node
  let path: String
  private var mapping: Node.Mapping

  init(file: String, node: Node, path: String) throws {
    self.file = file
    self.node = node
    self.path = path
    guard let m = node.mapping else {
      throw PipelineError(
        file,
        "\(Self.location(node))\(path.isEmpty ? "the document" : path) must be a mapping of keys to values"
      )
    }
    mapping = m
    // YAML leaves a repeated key to the reader; the last one would silently win.
    var seen: [String: Node] = [:]
    for (k, _) in m {
      guard let name = k.string else { continue }
      if let first = seen[name] {
        let firstLine = first.mark.map { " (first at line \($0.line))" } ?? ""
        throw PipelineError(
          file,
          "\(Self.location(k))\(path.isEmpty ? name : "\(path).\(name)") is given twice\(firstLine)"
        )
      }
      seen[name] = k
    }
  }

  /// The top-level mapping of a YAML document; `file` names it in errors.
  static func document(yaml: String, file: String) throws -> ConfigReader {
    try ConfigReader(file: file, node: root(yaml: yaml, file: file), path: "")
  }

  /// The root node of a YAML document; errors name `file`.
  static func root(yaml: String, file: String) throws -> Node {
    do {
      guard let n = try Yams.compose(yaml: yaml) else {
        throw PipelineError(file, "the config is empty")
      }
      return n
    } catch let e as PipelineError {
      throw e
    } catch {
      throw PipelineError(file, "not valid YAML: \(error)")
    }
  }

  static func location(_ node: Node?) -> String {
    guard let mark = node?.mark else { return "" }
    return "line \(mark.line): "
  }

  func fail(_ key: String, _ message: String) -> any Error {
    let full = path.isEmpty ? key : "\(path).\(key)"
    return PipelineError(file, "\(Self.location(mapping[key] ?? node))\(full): \(message)")
  }

  func fail(entry error: any Error) -> any Error {
    PipelineError(file, "\(Self.location(node))\(path): \(error)")
  }

  /// Throws for any key not in `known`.
  func allowOnly(_ known: Set<String>) throws {
    for (k, _) in mapping {
      guard let name = k.string else { continue }
      if !known.contains(name) {
        throw PipelineError(
          file,
          "\(Self.location(k))unknown key \"\(path.isEmpty ? name : "\(path).\(name)")\" (known: \(known.sorted().joined(separator: ", ")))"
        )
      }
    }
  }

  func has(_ key: String) -> Bool { mapping[key] != nil && mapping[key]?.null == nil }

  func child(_ key: String) throws -> ConfigReader? {
    guard let n = mapping[key], n.null == nil else { return nil }
    return try ConfigReader(file: file, node: n, path: path.isEmpty ? key : "\(path).\(key)")
  }

  func sequence(_ key: String) throws -> [Node]? {
    guard let n = mapping[key], n.null == nil else { return nil }
    guard let s = n.sequence else { throw fail(key, "must be a list") }
    return Array(s)
  }

  func string(_ key: String) throws -> String? {
    guard let n = mapping[key], n.null == nil else { return nil }
    guard let s = n.string, n.scalar != nil else { throw fail(key, "must be a string") }
    return s
  }

  func int(_ key: String, in range: ClosedRange<Int>?) throws -> Int? {
    guard let n = mapping[key], n.null == nil else { return nil }
    guard let v = n.int else { throw fail(key, "must be an integer, got \"\(n.string ?? "?")\"") }
    if let range, !range.contains(v) {
      throw fail(key, "must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
    }
    return v
  }

  func float(_ key: String) throws -> Float? {
    guard let n = mapping[key], n.null == nil else { return nil }
    guard let v = n.float, v.isFinite else {
      throw fail(key, "must be a finite number, got \"\(n.string ?? "?")\"")
    }
    return Float(v)
  }

  func bool(_ key: String) throws -> Bool? {
    guard let n = mapping[key], n.null == nil else { return nil }
    guard let v = n.bool else {
      throw fail(key, "must be true or false, got \"\(n.string ?? "?")\"")
    }
    return v
  }

  /// A pair such as [10, 10], or a single integer meaning [n, n].
  func pair(_ key: String) throws -> [Int]? {
    guard let n = mapping[key], n.null == nil else { return nil }
    if let v = n.int { return [v, v] }
    guard let s = n.sequence, s.count == 2, let a = s[0].int, let b = s[1].int else {
      throw fail(key, "must be an integer or a list of two integers [height, width]")
    }
    return [a, b]
  }
}

extension ConfigReader {
  /// How pictures are sized, from this mapping's `size: [h, w]`, `crop: [h, w]` or (when allowed)
  /// `longest_side: n`, at most one of them; `.original` when none is there.
  func pictureSizing(longestSide: Bool) throws -> ImageFolder.Sizing {
    var sizing = ImageFolder.Sizing.original
    let keys = longestSide ? "size, crop and longest_side" : "size and crop"
    for key in ["size", "crop"] {
      guard let pair = try pair(key) else { continue }
      guard pair.allSatisfy({ (1...16384).contains($0) }) else {
        throw fail(key, "sizes must be in 1...16384, got \(pair)")
      }
      guard sizing == .original else { throw fail(key, "give one of \(keys)") }
      sizing =
        key == "size"
        ? .resize(width: pair[1], height: pair[0]) : .centerCrop(width: pair[1], height: pair[0])
    }
    if longestSide, let side = try int("longest_side", in: 1...16384) {
      guard sizing == .original else { throw fail("longest_side", "give one of \(keys)") }
      sizing = .longestSide(side)
    }
    return sizing
  }
}
