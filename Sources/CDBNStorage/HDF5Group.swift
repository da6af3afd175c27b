/// A group in an HDF5 file (the root "/" included): members, attributes and whole-dataset I/O.
///
/// Holds a strong reference to its file, so the file stays open while the group is in use.
/// Member names may be paths relative to this group ("layers/0/weights") or absolute ("/meta").
public struct HDF5Group {
  /// The file this group belongs to.
  public let file: HDF5File
  let handle: H5Handle
  /// The full path, such as "/layers/0".
  public let name: String

  init(file: HDF5File, handle: H5Handle, name: String) {
    self.file = file
    self.handle = handle
    self.name = name
  }

  /// The group's attributes (see `HDF5AttributeHolder` for what can be read and written).
  public var attributes: AttributeAccess {
    AttributeAccess(handle: handle, owner: "group \(name)")
  }

  private func error(_ message: String) -> HDF5Error {
    HDF5Error(path: file.path, message: message)
  }

  /// The full path of `member`, or an error naming the bad name.
  private func resolve(_ member: String, _ kind: String) throws(HDF5Error) -> String {
    guard let full = HDF5Path.resolve(member, in: name) else {
      throw error("\(kind) \"\(member)\" in group \(name): invalid name")
    }
    return full
  }

  // MARK: Members

  /// Creates the group `member`, creating missing intermediate groups too ("a/b").
  /// Throws if something of that name already exists.
  public func createGroup(_ member: String) throws(HDF5Error) -> HDF5Group {
    let full = try resolve(member, "group")
    guard !contains(member) else { throw error("group \(full): already exists") }
    let group = try handle.createGroup(member, what: "group \(full)")
    return HDF5Group(file: file, handle: group, name: full)
  }

  /// Gives the existing member `member` a second name `alias` in this group (an HDF5 hard link: the
  /// same object under both names, h5py sees two datasets with one content). Throws if `alias`
  /// exists.
  public func link(_ member: String, as alias: String) throws(HDF5Error) {
    let full = try resolve(alias, "link")
    guard contains(member) else { throw error("\(name)/\(member): no such member to link") }
    guard !contains(alias) else { throw error("link \(full): already exists") }
    try handle.link(member, as: alias, what: "link \(full)")
  }

  /// Opens the existing group `member`.
  public func openGroup(_ member: String) throws(HDF5Error) -> HDF5Group {
    let full = try resolve(member, "group")
    try requireKind(member, full, .group, "group")
    let group = try handle.openGroup(member, what: "group \(full)")
    return HDF5Group(file: file, handle: group, name: full)
  }

  /// Whether a link named `member` exists (to a group, dataset or anything else); false rather
  /// than throwing on any problem, including an invalid name or a closed file.
  public func contains(_ member: String) -> Bool {
    guard let prefixes = HDF5Path.prefixes(member) else { return false }
    // H5Lexists fails instead of answering when a parent is missing, so walk down one level at a time.
    return prefixes.allSatisfy { handle.linkExists($0) }
  }

  /// Whether `member` exists and is a group.
  public func isGroup(_ member: String) -> Bool {
    contains(member) && handle.objectKind(member) == .group
  }

  /// The names of this group's direct members, sorted.
  public func memberNames() throws(HDF5Error) -> [String] {
    try handle.linkNames(what: "group \(name)").sorted()
  }

  /// Throws "not found" or "not a ..." unless `member` is an object of `kind`.
  private func requireKind(_ member: String, _ full: String, _ kind: H5ObjectKind, _ label: String)
    throws(HDF5Error)
  {
    guard contains(member) else { throw error("\(label) \(full): not found") }
    let actual = handle.objectKind(member)
    guard actual == kind else {
      let found =
        switch actual {
        case .group: "a group"
        case .dataset: "a dataset"
        case .other: "another kind of object"
        case nil: "an object that cannot be opened"
        }
      throw error("\(label) \(full): not a \(label) (found \(found))")
    }
  }

  // MARK: Attributes

  // MARK: Whole datasets

  /// Writes a float32 dataset, replacing any dataset of that name. `values` are row-major and
  /// must number the product of `shape` (an empty shape is a scalar).
  public func writeFloats(_ member: String, shape: [Int], _ values: [Float]) throws(HDF5Error) {
    try writeNumbers(member, type: .float32, shape: shape, values)
  }

  /// Writes an int64 dataset, replacing any dataset of that name.
  public func writeInts(_ member: String, shape: [Int], _ values: [Int]) throws(HDF5Error) {
    try writeNumbers(member, type: .int64, shape: shape, values)
  }

  /// Writes a uint64 dataset (random-number generator states), replacing any of that name.
  public func writeUInt64s(_ member: String, shape: [Int], _ values: [UInt64]) throws(HDF5Error) {
    try writeNumbers(member, type: .uint64, shape: shape, values)
  }

  /// Writes a float64 dataset, replacing any dataset of that name.
  public func writeDoubles(_ member: String, shape: [Int], _ values: [Double]) throws(HDF5Error) {
    try writeNumbers(member, type: .float64, shape: shape, values)
  }

  /// Writes a uint8 dataset (images), replacing any dataset of that name.
  public func writeUInt8s(_ member: String, shape: [Int], _ values: [UInt8]) throws(HDF5Error) {
    try writeNumbers(member, type: .uint8, shape: shape, values)
  }

  /// Writes a 1-D dataset of variable-length UTF-8 strings, replacing any of that name.
  public func writeStrings(_ member: String, _ values: [String]) throws(HDF5Error) {
    let dataset = try replaceDataset(member, type: .string, shape: [values.count], chunk: nil)
    try dataset.handle.writeStrings(values, selection: nil, what: "dataset \(dataset.name)")
  }

  /// Reads a numeric dataset as float32 (HDF5 converts float64 or integer storage).
  public func readFloats(_ member: String) throws(HDF5Error) -> (shape: [Int], values: [Float]) {
    let dataset = try openDataset(member)
    return (dataset.shape, try dataset.readAllNumbers())
  }

  /// Reads a numeric dataset as `Int`.
  public func readInts(_ member: String) throws(HDF5Error) -> (shape: [Int], values: [Int]) {
    let dataset = try openDataset(member)
    return (dataset.shape, try dataset.readAllNumbers())
  }

  /// Reads a numeric dataset as `UInt64`.
  public func readUInt64s(_ member: String) throws(HDF5Error) -> (shape: [Int], values: [UInt64]) {
    let dataset = try openDataset(member)
    return (dataset.shape, try dataset.readAllNumbers())
  }

  /// Reads a numeric dataset as `Double`.
  public func readDoubles(_ member: String) throws(HDF5Error) -> (shape: [Int], values: [Double]) {
    let dataset = try openDataset(member)
    return (dataset.shape, try dataset.readAllNumbers())
  }

  /// Reads a numeric dataset as `UInt8` (values out of range are clipped by HDF5).
  public func readUInt8s(_ member: String) throws(HDF5Error) -> (shape: [Int], values: [UInt8]) {
    let dataset = try openDataset(member)
    return (dataset.shape, try dataset.readAllNumbers())
  }

  /// Reads a string dataset (variable- or fixed-length), flattened.
  public func readStrings(_ member: String) throws(HDF5Error) -> [String] {
    try openDataset(member).readAllStrings()
  }

  // MARK: Datasets for streaming

  /// Opens an existing dataset for partial reads and writes.
  public func openDataset(_ member: String) throws(HDF5Error) -> HDF5Dataset {
    let full = try resolve(member, "dataset")
    try requireKind(member, full, .dataset, "dataset")
    let dataset = try handle.openDataset(member, what: "dataset \(full)")
    return try HDF5Dataset(file: file, handle: dataset, name: full)
  }

  /// Creates a dataset to fill piece by piece, replacing any dataset of that name.
  ///
  /// Storage is chunked with `chunk` when given (clamped to `shape`), or, for datasets over
  /// 1 MiB, with chunks of about 1 MiB cut along the leading dimensions; small datasets are
  /// contiguous. Unwritten elements read as zero (or "" for strings).
  public func createDataset(
    _ member: String, type: HDF5ElementType, shape: [Int], chunk: [Int]? = nil
  )
    throws(HDF5Error) -> HDF5Dataset
  {
    try replaceDataset(member, type: type, shape: shape, chunk: chunk, defaultChunking: true)
  }

  private func writeNumbers<T: H5Number>(
    _ member: String, type: HDF5ElementType, shape: [Int], _ values: [T]
  )
    throws(HDF5Error)
  {
    let full = try resolve(member, "dataset")
    guard let count = Hyperslab.elementCount(shape) else {
      throw error("dataset \(full): invalid shape \(shape)")
    }
    guard count == values.count else {
      throw error("dataset \(full): shape \(shape) needs \(count) values, got \(values.count)")
    }
    let dataset = try replaceDataset(member, type: type, shape: shape, chunk: nil)
    try dataset.handle.writeNumbers(values, selection: nil, what: "dataset \(full)")
  }

  /// Deletes an existing dataset of that name (refusing to replace a group), then creates one.
  private func replaceDataset(
    _ member: String, type: HDF5ElementType, shape: [Int], chunk: [Int]?,
    defaultChunking: Bool = false
  ) throws(HDF5Error) -> HDF5Dataset {
    let full = try resolve(member, "dataset")
    let what = "dataset \(full)"
    guard shape.count <= 32 else {
      throw error("\(what): rank \(shape.count) exceeds HDF5's limit of 32")
    }
    guard let count = Hyperslab.elementCount(shape) else {
      throw error("\(what): invalid shape \(shape)")
    }
    let layout = try chunkShape(
      shape: shape, count: count, type: type, requested: chunk, defaultChunking: defaultChunking,
      what: what)
    if contains(member) {
      guard handle.objectKind(member) == .dataset else {
        throw error("\(what): exists and is not a dataset")
      }
      try handle.deleteLink(member, what: what)
    }
    let dataset = try handle.createDataset(
      member, type: type, shape: shape, chunk: layout, what: what)
    return try HDF5Dataset(file: file, handle: dataset, name: full)
  }

  /// The chunk shape to use, or nil for contiguous storage.
  private func chunkShape(
    shape: [Int], count: Int, type: HDF5ElementType, requested: [Int]?, defaultChunking: Bool,
    what: String
  ) throws(HDF5Error) -> [Int]? {
    // Scalars and empty datasets cannot be chunked (a chunk dimension must be at least 1 and at
    // most the dataset's).
    guard !shape.isEmpty, count > 0 else { return nil }
    let elementSize = type.approximateByteSize
    if let requested {
      guard requested.count == shape.count, requested.allSatisfy({ $0 > 0 }) else {
        throw error("\(what): chunk \(requested) does not fit shape \(shape)")
      }
      let chunk = zip(requested, shape).map { min($0, $1) }
      guard let chunkCount = Hyperslab.elementCount(chunk),
        chunkCount <= (Int(UInt32.max) / elementSize)
      else {
        throw error("\(what): chunk \(chunk) exceeds HDF5's 4 GiB chunk limit")
      }
      return chunk
    }
    let target = 1 << 20
    guard defaultChunking, count > target / elementSize else { return nil }
    // Cut the leading dimensions until a chunk is about `target` bytes.
    var chunk = shape
    var bytes =
      count.multipliedReportingOverflow(by: elementSize).overflow ? Int.max : count * elementSize
    for i in chunk.indices where bytes > target {
      let slice = bytes / chunk[i]
      chunk[i] = max(1, min(chunk[i], target / max(slice, 1)))
      bytes = slice * chunk[i]
    }
    return chunk
  }
}
