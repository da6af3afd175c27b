import CDBNStorage

/// Reads a saved classifier's datasets and attributes, turning every missing member, wrong shape
/// or non-finite value into `ClassifierError.malformedModel` naming the group and member.
struct ModelGroupReader {
  let group: HDF5Group

  init(_ group: HDF5Group) { self.group = group }

  private func fail(_ member: String, _ message: String) -> ClassifierError {
    .malformedModel("\(group.name)/\(member): \(message)")
  }

  private func require(_ member: String) throws {
    guard group.contains(member) else { throw fail(member, "not found") }
  }

  private func check(_ member: String, _ shape: [Int], rank: Int?, expected: [Int]?) throws {
    if let rank, shape.count != rank {
      throw fail(member, "expected \(rank) dimensions, got shape \(shape)")
    }
    if let expected, shape != expected {
      throw fail(member, "expected shape \(expected), got \(shape)")
    }
  }

  func floats(_ member: String, rank: Int? = nil, shape: [Int]? = nil) throws -> (
    shape: [Int], values: [Float]
  ) {
    try require(member)
    let r = try group.readFloats(member)
    try check(member, r.shape, rank: rank, expected: shape)
    if let i = r.values.firstIndex(where: { !$0.isFinite }) {
      throw fail(member, "value \(r.values[i]) at index \(i) is not finite")
    }
    return r
  }

  func doubles(_ member: String, rank: Int? = nil, shape: [Int]? = nil) throws -> (
    shape: [Int], values: [Double]
  ) {
    try require(member)
    let r = try group.readDoubles(member)
    try check(member, r.shape, rank: rank, expected: shape)
    if let i = r.values.firstIndex(where: { !$0.isFinite }) {
      throw fail(member, "value \(r.values[i]) at index \(i) is not finite")
    }
    return r
  }

  func ints(_ member: String, rank: Int? = nil, shape: [Int]? = nil) throws -> (
    shape: [Int], values: [Int]
  ) {
    try require(member)
    let r = try group.readInts(member)
    try check(member, r.shape, rank: rank, expected: shape)
    return r
  }

  /// The saved class labels: one-dimensional, at least two, distinct.
  func classes(_ member: String = "classes") throws -> [Int] {
    let c = try ints(member, rank: 1).values
    guard c.count >= 2, Set(c).count == c.count else {
      throw fail(member, "expected at least two distinct labels, got \(c)")
    }
    return c
  }

  /// A positive, finite number attribute such as C or gamma.
  func positive(_ attribute: String) throws -> Double {
    guard group.hasAttribute(attribute) else { throw fail(attribute, "attribute not found") }
    let v = try group.doubleAttribute(attribute)
    guard v > 0, v.isFinite else { throw fail(attribute, "must be positive and finite, got \(v)") }
    return v
  }
}
