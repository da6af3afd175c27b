// The one Swift file that sees C: every HDF5 call (through CHDF5) and the few POSIX calls the
// atomic save needs live here, behind internal Swift types that speak in Swift values and throw
// `HDF5Error`, the way swift-system keeps its syscalls in one layer. The rest of CDBNStorage never
// sees `hid_t` or `herr_t`. For the same reason this file holds several small types.

internal import CHDF5

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Process-wide serialisation

/// A recursive mutex around every HDF5 call. Debian's build is thread-safe, but other builds are
/// not, and Swift Testing (or a pipeline) may use different files from several threads at once.
/// Recursive because a handle's deinit may run while the lock is already held.
private final class HDF5Lock: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>

  init() {
    mutex = .allocate(capacity: 1)
    var attributes = pthread_mutexattr_t()
    pthread_mutexattr_init(&attributes)
    pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
    pthread_mutex_init(mutex, &attributes)
    pthread_mutexattr_destroy(&attributes)
  }

  func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }
}

/// Marks, per thread, that HDF5's automatic error printing has been turned off.
private let silencedThreadKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key, nil)
  return key
}()

/// Collects strings from HDF5 iteration callbacks, which receive it as an opaque pointer.
private final class StringCollector {
  var strings: [String] = []
}

// MARK: - Library entry points

/// Entry point to HDF5: locking, error capture and the POSIX helpers.
enum HDF5Library {
  private static let lock = HDF5Lock()

  /// No HDF5 clean-up at exit. Every file cdbn opens is closed where it is used; what the library's
  /// atexit handler would find is a file whose close failed (a full disk, `ulimit -f`), and
  /// flushing that one again at exit crashed libhdf5 (signal 11 after the error was reported).
  /// It must precede every other HDF5 call, which would start the library.
  private static let noCleanUpAtExit: Void = { _ = H5dont_atexit() }()

  /// Runs `body` holding the HDF5 lock, with automatic error printing off on this thread.
  static func call<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    _ = noCleanUpAtExit
    return try lock.withLock { () throws(E) -> T in
      // Errors are reported as HDF5Error, never printed. Thread-safe builds keep this setting per
      // thread, so it is turned off once for each thread that calls in.
      if pthread_getspecific(silencedThreadKey) == nil {
        H5Eset_auto2(cdbn_h5e_default(), nil, nil)
        pthread_setspecific(silencedThreadKey, UnsafeRawPointer(bitPattern: 1))
      }
      return try body()
    }
  }

  /// An error for `path` whose message is `message` plus the most specific entry of this
  /// thread's HDF5 error stack, which usually says why ("file signature not found").
  static func failure(_ path: String, _ message: String) -> HDF5Error {
    let collector = StringCollector()
    withExtendedLifetime(collector) {
      _ = H5Ewalk2(
        cdbn_h5e_default(), H5E_WALK_UPWARD,
        { _, entry, data in
          guard let entry, let data, let text = entry.pointee.desc else { return 0 }
          Unmanaged<StringCollector>.fromOpaque(data).takeUnretainedValue().strings.append(
            String(cString: text))
          return 0
        }, Unmanaged.passUnretained(collector).toOpaque())
    }
    guard let detail = collector.strings.first(where: { !$0.isEmpty }) else {
      return HDF5Error(path: path, message: message)
    }
    // Some HDF5 messages span lines (a ctime() timestamp); keep the error on one line.
    let oneLine = detail.split(whereSeparator: \.isNewline).joined(separator: " ")
    return HDF5Error(path: path, message: "\(message) (HDF5: \(oneLine))")
  }

  static func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
  }

  static var processID: Int { Int(getpid()) }

  /// Removes a file, ignoring failure: used to clean up after an error that is already reported.
  static func removeFile(_ path: String) {
    _ = unlink(path)
  }

  /// The folder a path names a file in ("." for a bare name, "/" at the root) and the file's name.
  private static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    return (directory, String(path[path.index(after: slash)...]))
  }

  /// Removes `path.tmp-<pid>` files that a writer killed mid-save (kill -9, power loss) left
  /// beside `path`: those whose process no longer exists. A live process's file, this one's
  /// included, is left alone; so is any file this process may not remove.
  static func removeStaleTemporaryFiles(of path: String) {
    let (directory, name) = split(path)
    let prefix = name + ".tmp-"
    guard let stream = opendir(directory) else { return }
    defer { closedir(stream) }
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)), pid > 0,
        pid != getpid()
      else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { _ = unlink(directory + "/" + name) }
    }
  }

  /// Takes an exclusive flock(2) on the file at `path` (created if missing) without waiting, and
  /// returns its descriptor; nil when another process holds it.
  static func lockFile(_ path: String) throws(HDF5Error) -> Int32? {
    while true {
      let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
      guard descriptor >= 0 else { throw posixFailure(path, "cannot create the lock file") }
      guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
        let failure = errno
        _ = close(descriptor)
        if failure == EWOULDBLOCK { return nil }
        errno = failure
        throw posixFailure(path, "cannot lock")
      }
      // The previous holder removes the file when it lets go: a lock on the removed file would
      // not exclude the next process, which creates a new one. Then take that one.
      var held = stat()
      var named = stat()
      if fstat(descriptor, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino,
        held.st_dev == named.st_dev
      {
        return descriptor
      }
      _ = close(descriptor)
    }
  }

  /// Removes the lock file at `path`, then lets go of the lock.
  static func unlockFile(_ path: String, descriptor: Int32) {
    _ = unlink(path)
    _ = close(descriptor)
  }

  /// Creates (or truncates) the file at `path` and writes `bytes` to it, then syncs and closes
  /// it, so every failure (a full disk, EIO, a read-only folder) is seen here, not later.
  static func writeFile(_ bytes: [UInt8], to path: String) throws(HDF5Error) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw posixFailure(path, "cannot create") }
    var done = 0
    var failure: HDF5Error?
    bytes.withUnsafeBytes { raw in
      while done < raw.count {
        let n = write(descriptor, raw.baseAddress! + done, raw.count - done)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else {
          failure = posixFailure(path, "cannot write (\(done) of \(raw.count) bytes written)")
          return
        }
        done += n
      }
    }
    if failure == nil && fsync(descriptor) != 0 {
      failure = posixFailure(path, "cannot sync to disk")
    }
    if close(descriptor) != 0 && failure == nil { failure = posixFailure(path, "cannot close") }
    if let failure { throw failure }
  }

  /// Forces a closed file's data to disk, so a rename never exposes a file whose data is still in
  /// the page cache when power fails.
  static func syncFile(_ path: String) throws(HDF5Error) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw posixFailure(path, "cannot open to sync") }
    defer { _ = close(descriptor) }
    guard fsync(descriptor) == 0 else { throw posixFailure(path, "cannot sync to disk") }
  }

  /// Atomically replaces `destination` with `source` (rename(2)), then syncs the directory so the
  /// new name survives a crash.
  static func replaceFile(_ destination: String, with source: String) throws(HDF5Error) {
    guard rename(source, destination) == 0 else {
      throw posixFailure(destination, "cannot rename \(source) over it")
    }
    let descriptor = open(split(destination).directory, O_RDONLY)
    if descriptor >= 0 {
      _ = fsync(descriptor)  // best effort: some file systems refuse fsync on directories
      _ = close(descriptor)
    }
  }

  private static func posixFailure(_ path: String, _ message: String) -> HDF5Error {
    HDF5Error(path: path, message: "\(message): \(String(cString: strerror(errno)))")
  }
}

// MARK: - Files

/// An open HDF5 file id. Closing it closes every object opened from it (strong close degree), so
/// `close()` really releases the file; handles check `isOpen` before touching their ids.
final class H5FileHandle {
  let path: String
  private let id: hid_t
  /// Guarded by the HDF5 lock.
  private(set) var isOpen = true

  private init(path: String, id: hid_t) {
    self.path = path
    self.id = id
  }

  deinit { try? close() }

  /// Opens or creates the file; a missing file, a file without the HDF5 signature and a damaged
  /// file each give their own message.
  static func open(path: String, mode: HDF5File.Mode) throws(HDF5Error) -> H5FileHandle {
    try HDF5Library.call { () throws(HDF5Error) -> H5FileHandle in
      let access = H5Pcreate(cdbn_h5p_file_access())
      guard access >= 0 else {
        throw HDF5Library.failure(path, "cannot create file access properties")
      }
      defer { H5Pclose(access) }
      guard H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) >= 0 else {
        throw HDF5Library.failure(path, "cannot set file close degree")
      }
      // HDF5's own flock travels with every copy of the descriptor, including the ones a child
      // process briefly inherits, so opens racing a fork fail with EAGAIN. Writes are already made
      // safe by writing a temporary file and renaming it; the lock adds nothing but that race.
      guard H5Pset_file_locking(access, false, true) >= 0 else {
        throw HDF5Library.failure(path, "cannot turn off HDF5 file locking")
      }
      let id: hid_t
      switch mode {
      case .truncate:
        id = H5Fcreate(path, cdbn_h5f_acc_trunc(), cdbn_h5p_default(), access)
        guard id >= 0 else { throw HDF5Library.failure(path, "cannot create HDF5 file") }
      case .readOnly, .readWrite:
        guard HDF5Library.fileExists(path) else {
          throw HDF5Error(path: path, message: "no such file")
        }
        if cdbn_h5f_is_hdf5(path) == 0 {
          throw HDF5Error(path: path, message: "not an HDF5 file (no HDF5 signature found)")
        }
        let flags = mode == .readOnly ? cdbn_h5f_acc_rdonly() : cdbn_h5f_acc_rdwr()
        id = H5Fopen(path, flags, access)
        guard id >= 0 else { throw HDF5Library.failure(path, "cannot open HDF5 file") }
      }
      return H5FileHandle(path: path, id: id)
    }
  }

  /// The root group "/".
  func openRoot() throws(HDF5Error) -> H5Handle {
    try HDF5Library.call { () throws(HDF5Error) -> H5Handle in
      let group = H5Gopen2(id, "/", cdbn_h5p_default())
      guard group >= 0 else { throw HDF5Library.failure(path, "group /: cannot open") }
      return H5Handle(file: self, kind: .group, id: group)
    }
  }

  func flush() throws(HDF5Error) {
    try HDF5Library.call { () throws(HDF5Error) in
      guard isOpen else { throw HDF5Error(path: path, message: "cannot flush: file is closed") }
      guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
        throw HDF5Library.failure(path, "cannot flush")
      }
    }
  }

  /// Closes the file, writing out everything; a second call does nothing.
  func close() throws(HDF5Error) {
    try HDF5Library.call { () throws(HDF5Error) in
      guard isOpen else { return }
      isOpen = false
      guard H5Fclose(id) >= 0 else { throw HDF5Library.failure(path, "cannot close") }
    }
  }

  /// The file's size in bytes as HDF5 sees it, or nil if it cannot tell.
  var sizeInBytes: Int? {
    HDF5Library.call { () -> Int? in
      var size: hsize_t = 0
      guard isOpen, H5Fget_filesize(id, &size) >= 0, size <= hsize_t(Int.max) else { return nil }
      return Int(size)
    }
  }
}

// MARK: - Objects

/// What a link points at.
enum H5ObjectKind {
  case group, dataset, other
}

/// An open group, dataset or attribute id, closed when the last reference goes (or when its file
/// closes, which invalidates it). Each method takes `what`, the object's description for error
/// messages ("dataset /layers/0/weights").
final class H5Handle {
  enum Kind {
    case group, dataset, attribute
  }

  let file: H5FileHandle
  let kind: Kind
  private let id: hid_t

  fileprivate init(file: H5FileHandle, kind: Kind, id: hid_t) {
    self.file = file
    self.kind = kind
    self.id = id
  }

  deinit {
    HDF5Library.call {
      guard file.isOpen else { return }  // a closed file already closed this id
      _ = kind == .attribute ? H5Aclose(id) : H5Oclose(id)
    }
  }

  /// Runs `body` under the HDF5 lock after checking that the file is still open.
  private func perform<T>(_ what: String, _ body: () throws(HDF5Error) -> T) throws(HDF5Error) -> T
  {
    try HDF5Library.call { () throws(HDF5Error) -> T in
      guard file.isOpen else {
        throw HDF5Error(path: file.path, message: "\(what): file is closed")
      }
      return try body()
    }
  }

  private func failure(_ what: String, _ action: String) -> HDF5Error {
    HDF5Library.failure(file.path, "\(what): \(action)")
  }

  // MARK: Links

  /// Whether the link `name` exists; false on any error (a missing parent, a closed file).
  func linkExists(_ name: String) -> Bool {
    HDF5Library.call { file.isOpen && H5Lexists(id, name, cdbn_h5p_default()) > 0 }
  }

  /// What `name` resolves to, or nil if it cannot be opened.
  func objectKind(_ name: String) -> H5ObjectKind? {
    HDF5Library.call { () -> H5ObjectKind? in
      guard file.isOpen else { return nil }
      let object = H5Oopen(id, name, cdbn_h5p_default())
      guard object >= 0 else { return nil }
      defer { H5Oclose(object) }
      switch H5Iget_type(object) {
      case H5I_GROUP: return .group
      case H5I_DATASET: return .dataset
      default: return .other
      }
    }
  }

  /// The names of this group's links, in HDF5's name order.
  func linkNames(what: String) throws(HDF5Error) -> [String] {
    try perform(what) { () throws(HDF5Error) -> [String] in
      var info = H5G_info_t()
      guard H5Gget_info(id, &info) >= 0 else { throw failure(what, "cannot list members") }
      var names: [String] = []
      for index in 0..<info.nlinks {
        let length = H5Lget_name_by_idx(
          id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, cdbn_h5p_default())
        guard length >= 0 else { throw failure(what, "cannot read member name \(index)") }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        let read = H5Lget_name_by_idx(
          id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, cdbn_h5p_default())
        guard read >= 0 else { throw failure(what, "cannot read member name \(index)") }
        names.append(
          String(decoding: buffer.prefix(Int(read)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
      }
      return names
    }
  }

  /// Creates the group `name`, and any missing groups on the way to it.
  func createGroup(_ name: String, what: String) throws(HDF5Error) -> H5Handle {
    try perform(what) { () throws(HDF5Error) -> H5Handle in
      let linkProperties = try intermediateGroupProperties(what)
      defer { H5Pclose(linkProperties) }
      let group = H5Gcreate2(id, name, linkProperties, cdbn_h5p_default(), cdbn_h5p_default())
      guard group >= 0 else { throw failure(what, "cannot create") }
      return H5Handle(file: file, kind: .group, id: group)
    }
  }

  /// A second name `alias` for the existing member `name` (an HDF5 hard link: one object, no copy).
  func link(_ name: String, as alias: String, what: String) throws(HDF5Error) {
    try perform(what) { () throws(HDF5Error) in
      guard H5Lcreate_hard(id, name, id, alias, cdbn_h5p_default(), cdbn_h5p_default()) >= 0 else {
        throw failure(what, "cannot link \(name) as \(alias)")
      }
    }
  }

  func openGroup(_ name: String, what: String) throws(HDF5Error) -> H5Handle {
    try perform(what) { () throws(HDF5Error) -> H5Handle in
      let group = H5Gopen2(id, name, cdbn_h5p_default())
      guard group >= 0 else { throw failure(what, "cannot open") }
      return H5Handle(file: file, kind: .group, id: group)
    }
  }

  func openDataset(_ name: String, what: String) throws(HDF5Error) -> H5Handle {
    try perform(what) { () throws(HDF5Error) -> H5Handle in
      let dataset = H5Dopen2(id, name, cdbn_h5p_default())
      guard dataset >= 0 else { throw failure(what, "cannot open") }
      return H5Handle(file: file, kind: .dataset, id: dataset)
    }
  }

  /// Removes the link `name` (its storage is not reclaimed; HDF5 never shrinks files).
  func deleteLink(_ name: String, what: String) throws(HDF5Error) {
    try perform(what) { () throws(HDF5Error) in
      guard H5Ldelete(id, name, cdbn_h5p_default()) >= 0 else {
        throw failure(what, "cannot delete")
      }
    }
  }

  /// Creates a dataset; `chunk` nil means contiguous storage.
  func createDataset(
    _ name: String, type: HDF5ElementType, shape: [Int], chunk: [Int]?, what: String
  ) throws(HDF5Error) -> H5Handle {
    try perform(what) { () throws(HDF5Error) -> H5Handle in
      let storedType = try fileType(type, what: what)
      defer { if type == .string { H5Tclose(storedType) } }
      let space = try makeSpace(shape, what: what)
      defer { H5Sclose(space) }
      let linkProperties = try intermediateGroupProperties(what)
      defer { H5Pclose(linkProperties) }
      let createProperties = H5Pcreate(cdbn_h5p_dataset_create())
      guard createProperties >= 0 else { throw failure(what, "cannot create dataset properties") }
      defer { H5Pclose(createProperties) }
      if let chunk {
        let dims = chunk.map { hsize_t($0) }
        guard H5Pset_chunk(createProperties, Int32(dims.count), dims) >= 0 else {
          throw failure(what, "cannot use chunk shape \(chunk)")
        }
      }
      let dataset = H5Dcreate2(
        id, name, storedType, space, linkProperties, createProperties, cdbn_h5p_default())
      guard dataset >= 0 else { throw failure(what, "cannot create") }
      return H5Handle(file: file, kind: .dataset, id: dataset)
    }
  }

  /// Whether a dataset's data is contiguous, and how many bytes of storage it has allocated.
  func datasetLayout(what: String) throws(HDF5Error) -> (contiguous: Bool, allocatedBytes: Int) {
    try perform(what) { () throws(HDF5Error) -> (contiguous: Bool, allocatedBytes: Int) in
      let properties = H5Dget_create_plist(id)
      guard properties >= 0 else { throw failure(what, "cannot read storage layout") }
      defer { H5Pclose(properties) }
      let contiguous = H5Pget_layout(properties) == H5D_CONTIGUOUS
      let bytes = H5Dget_storage_size(id)
      return (contiguous, bytes > hsize_t(Int.max) ? Int.max : Int(bytes))
    }
  }

  // MARK: Attributes

  func attributeExists(_ name: String) -> Bool {
    HDF5Library.call { file.isOpen && H5Aexists(id, name) > 0 }
  }

  /// The names of this object's attributes, in HDF5's name order.
  func attributeNames(what: String) throws(HDF5Error) -> [String] {
    try perform(what) { () throws(HDF5Error) -> [String] in
      let collector = StringCollector()
      let status = withExtendedLifetime(collector) {
        H5Aiterate2(
          id, H5_INDEX_NAME, H5_ITER_INC, nil,
          { _, name, _, data in
            guard let name, let data else { return -1 }
            Unmanaged<StringCollector>.fromOpaque(data).takeUnretainedValue().strings.append(
              String(cString: name))
            return 0
          }, Unmanaged.passUnretained(collector).toOpaque())
      }
      guard status >= 0 else { throw failure(what, "cannot list attributes") }
      return collector.strings
    }
  }

  func deleteAttribute(_ name: String, what: String) throws(HDF5Error) {
    try perform(what) { () throws(HDF5Error) in
      guard H5Adelete(id, name) >= 0 else { throw failure(what, "cannot delete") }
    }
  }

  func openAttribute(_ name: String, what: String) throws(HDF5Error) -> H5Handle {
    try perform(what) { () throws(HDF5Error) -> H5Handle in
      let attribute = H5Aopen(id, name, cdbn_h5p_default())
      guard attribute >= 0 else { throw failure(what, "cannot open") }
      return H5Handle(file: file, kind: .attribute, id: attribute)
    }
  }

  /// Creates an attribute; `shape` empty makes a scalar.
  func createAttribute(_ name: String, type: HDF5ElementType, shape: [Int], what: String)
    throws(HDF5Error)
    -> H5Handle
  {
    try perform(what) { () throws(HDF5Error) -> H5Handle in
      let storedType = try fileType(type, what: what)
      defer { if type == .string { H5Tclose(storedType) } }
      let space = try makeSpace(shape, what: what)
      defer { H5Sclose(space) }
      let attribute = H5Acreate2(
        id, name, storedType, space, cdbn_h5p_default(), cdbn_h5p_default())
      guard attribute >= 0 else { throw failure(what, "cannot create") }
      return H5Handle(file: file, kind: .attribute, id: attribute)
    }
  }

  // MARK: Data (datasets and attributes)

  /// The datatype and dataspace of this dataset or attribute.
  func storageInfo(what: String) throws(HDF5Error) -> StorageInfo {
    try perform(what) { () throws(HDF5Error) -> StorageInfo in
      let type = kind == .attribute ? H5Aget_type(id) : H5Dget_type(id)
      guard type >= 0 else { throw failure(what, "cannot read datatype") }
      defer { H5Tclose(type) }
      let space = kind == .attribute ? H5Aget_space(id) : H5Dget_space(id)
      guard space >= 0 else { throw failure(what, "cannot read dataspace") }
      defer { H5Sclose(space) }

      var shape: [Int] = []
      let elementCount: Int
      switch H5Sget_simple_extent_type(space) {
      case H5S_NULL:
        elementCount = 0
      case H5S_SCALAR:
        elementCount = 1
      case H5S_SIMPLE:
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw failure(what, "cannot read rank") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
          throw failure(what, "cannot read shape")
        }
        guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else {
          throw HDF5Error(path: file.path, message: "\(what): implausible shape \(dims)")
        }
        shape = dims.map { Int($0) }
        elementCount = Hyperslab.elementCount(shape) ?? Int.max
      default:
        throw failure(what, "unknown dataspace")
      }
      return StorageInfo(
        shape: shape, elementCount: elementCount, stored: try storedClass(type, what: what))
    }
  }

  private func storedClass(_ type: hid_t, what: String) throws(HDF5Error) -> StoredClass {
    let size = H5Tget_size(type)
    guard size > 0 else { throw failure(what, "cannot read datatype size") }
    switch H5Tget_class(type) {
    case H5T_INTEGER:
      return .integer(signed: H5Tget_sign(type) != H5T_SGN_NONE, size: size)
    case H5T_FLOAT:
      return .float(size: size)
    case H5T_STRING:
      let variable = H5Tis_variable_str(type)
      guard variable >= 0 else { throw failure(what, "cannot read string type") }
      return .string(
        variable: variable > 0, size: size, spacePadded: H5Tget_strpad(type) == H5T_STR_SPACEPAD)
    case H5T_COMPOUND: return .other("compound")
    case H5T_ENUM: return .other("enum")
    case H5T_ARRAY: return .other("array")
    case H5T_VLEN: return .other("variable-length sequence")
    case H5T_REFERENCE: return .other("reference")
    case H5T_OPAQUE: return .other("opaque")
    case H5T_BITFIELD: return .other("bitfield")
    default: return .other("unknown type")
    }
  }

  /// Reads `count` elements (the whole object, or `selection` of a dataset) converted to `T`.
  func readNumbers<T: H5Number>(selection: Hyperslab?, count: Int, what: String) throws(HDF5Error)
    -> [T]
  {
    guard count > 0 else { return [] }
    return try perform(what) { () throws(HDF5Error) -> [T] in
      let spaces = try selectionSpaces(selection, what: what)
      defer { closeSpaces(spaces) }
      var status: herr_t = -1
      let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        status = read(memoryType: T.numberKind.memoryType, spaces, into: buffer.baseAddress)
        initialized = status >= 0 ? count : 0
      }
      guard status >= 0 else { throw failure(what, "cannot read as \(T.self)") }
      return values
    }
  }

  /// Writes `values` to the whole object, or to `selection` of a dataset.
  func writeNumbers<T: H5Number>(_ values: [T], selection: Hyperslab?, what: String)
    throws(HDF5Error)
  {
    guard !values.isEmpty else { return }
    try perform(what) { () throws(HDF5Error) in
      let spaces = try selectionSpaces(selection, what: what)
      defer { closeSpaces(spaces) }
      let status = values.withUnsafeBufferPointer { buffer in
        write(memoryType: T.numberKind.memoryType, spaces, from: buffer.baseAddress)
      }
      guard status >= 0 else { throw failure(what, "cannot write \(T.self) values") }
    }
  }

  /// Reads `count` strings, variable- or fixed-length (null-terminated, null- or space-padded).
  func readStrings(selection: Hyperslab?, count: Int, what: String) throws(HDF5Error) -> [String] {
    guard count > 0 else { return [] }
    return try perform(what) { () throws(HDF5Error) -> [String] in
      let fileType = kind == .attribute ? H5Aget_type(id) : H5Dget_type(id)
      guard fileType >= 0 else { throw failure(what, "cannot read datatype") }
      defer { H5Tclose(fileType) }
      let spaces = try selectionSpaces(selection, what: what)
      defer { closeSpaces(spaces) }
      let variable = H5Tis_variable_str(fileType)
      guard variable >= 0 else { throw failure(what, "cannot read string type") }
      if variable > 0 {
        return try readVariableStrings(fileType: fileType, spaces, count: count, what: what)
      }
      return try readFixedStrings(fileType: fileType, spaces, count: count, what: what)
    }
  }

  private func readVariableStrings(
    fileType: hid_t, _ spaces: (memory: hid_t, file: hid_t), count: Int, what: String
  )
    throws(HDF5Error) -> [String]
  {
    // Read in the file's character set: HDF5 will not convert between ASCII and UTF-8 strings.
    let memoryType = try variableStringType(characterSet: H5Tget_cset(fileType), what: what)
    defer { H5Tclose(memoryType) }
    var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
    let status = pointers.withUnsafeMutableBufferPointer {
      read(memoryType: memoryType, spaces, into: $0.baseAddress)
    }
    let readFailure = status < 0 ? failure(what, "cannot read strings") : nil
    let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
    // HDF5 allocated each string; hand them back whether or not the read completed.
    var reclaimDims = [hsize_t(count)]
    let reclaimSpace = H5Screate_simple(1, &reclaimDims, nil)
    if reclaimSpace >= 0 {
      pointers.withUnsafeMutableBufferPointer {
        _ = cdbn_h5_reclaim(memoryType, reclaimSpace, $0.baseAddress)
      }
      H5Sclose(reclaimSpace)
    }
    if let readFailure { throw readFailure }
    return strings
  }

  private func readFixedStrings(
    fileType: hid_t, _ spaces: (memory: hid_t, file: hid_t), count: Int, what: String
  )
    throws(HDF5Error) -> [String]
  {
    let size = H5Tget_size(fileType)
    let (total, overflow) = count.multipliedReportingOverflow(by: size)
    guard size > 0, !overflow, total <= Hyperslab.maxElements else {
      throw HDF5Error(
        path: file.path, message: "\(what): \(count) strings of \(size) bytes is too large to read")
    }
    let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
    var bytes = [UInt8](repeating: 0, count: total)
    let status = bytes.withUnsafeMutableBufferPointer {
      read(memoryType: fileType, spaces, into: $0.baseAddress)
    }
    guard status >= 0 else { throw failure(what, "cannot read strings") }
    return (0..<count).map { index in
      var element = bytes[(index * size)..<((index + 1) * size)]
      if let end = element.firstIndex(of: 0) { element = element[..<end] }
      if spacePadded {
        while element.last == UInt8(ascii: " ") { element = element.dropLast() }
      }
      return String(decoding: element, as: UTF8.self)
    }
  }

  /// Writes strings to a variable-length string object (the whole object or `selection`).
  /// A string is cut at an embedded NUL, as C strings are.
  func writeStrings(_ values: [String], selection: Hyperslab?, what: String) throws(HDF5Error) {
    guard !values.isEmpty else { return }
    try perform(what) { () throws(HDF5Error) in
      let memoryType = try variableStringType(characterSet: H5T_CSET_UTF8, what: what)
      defer { H5Tclose(memoryType) }
      let spaces = try selectionSpaces(selection, what: what)
      defer { closeSpaces(spaces) }
      // One buffer of NUL-terminated strings, and a pointer to each.
      var bytes: [CChar] = []
      var offsets: [Int] = []
      for value in values {
        offsets.append(bytes.count)
        bytes.append(contentsOf: value.utf8.map { CChar(bitPattern: $0) })
        bytes.append(0)
      }
      let status = bytes.withUnsafeBufferPointer { buffer in
        let pointers = offsets.map { Optional(buffer.baseAddress! + $0) }
        return pointers.withUnsafeBufferPointer {
          write(memoryType: memoryType, spaces, from: $0.baseAddress)
        }
      }
      guard status >= 0 else { throw failure(what, "cannot write strings") }
    }
  }

  // MARK: Helpers (called with the lock held)

  private func read(
    memoryType: hid_t, _ spaces: (memory: hid_t, file: hid_t), into buffer: UnsafeMutableRawPointer?
  )
    -> herr_t
  {
    kind == .attribute
      ? H5Aread(id, memoryType, buffer)
      : H5Dread(id, memoryType, spaces.memory, spaces.file, cdbn_h5p_default(), buffer)
  }

  private func write(
    memoryType: hid_t, _ spaces: (memory: hid_t, file: hid_t), from buffer: UnsafeRawPointer?
  )
    -> herr_t
  {
    kind == .attribute
      ? H5Awrite(id, memoryType, buffer)
      : H5Dwrite(id, memoryType, spaces.memory, spaces.file, cdbn_h5p_default(), buffer)
  }

  /// Memory and file dataspaces for a selection: H5S_ALL for the whole object (and for scalars),
  /// otherwise the hyperslab in the file and a dense block of `count` in memory.
  private func selectionSpaces(_ selection: Hyperslab?, what: String) throws(HDF5Error) -> (
    memory: hid_t, file: hid_t
  ) {
    guard let selection, !selection.start.isEmpty, kind == .dataset else {
      return (cdbn_h5s_all(), cdbn_h5s_all())
    }
    let fileSpace = H5Dget_space(id)
    guard fileSpace >= 0 else { throw failure(what, "cannot read dataspace") }
    let start = selection.start.map { hsize_t($0) }
    let count = selection.count.map { hsize_t($0) }
    guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, count, nil) >= 0 else {
      let error = failure(what, "cannot select start \(selection.start) count \(selection.count)")
      H5Sclose(fileSpace)
      throw error
    }
    let memorySpace = H5Screate_simple(Int32(count.count), count, nil)
    guard memorySpace >= 0 else {
      let error = failure(what, "cannot create memory dataspace")
      H5Sclose(fileSpace)
      throw error
    }
    return (memorySpace, fileSpace)
  }

  private func closeSpaces(_ spaces: (memory: hid_t, file: hid_t)) {
    if spaces.memory != cdbn_h5s_all() { H5Sclose(spaces.memory) }
    if spaces.file != cdbn_h5s_all() { H5Sclose(spaces.file) }
  }

  /// A dataspace for `shape`: scalar when empty.
  private func makeSpace(_ shape: [Int], what: String) throws(HDF5Error) -> hid_t {
    let space: hid_t
    if shape.isEmpty {
      space = H5Screate(H5S_SCALAR)
    } else {
      let dims = shape.map { hsize_t($0) }
      space = H5Screate_simple(Int32(dims.count), dims, nil)
    }
    guard space >= 0 else { throw failure(what, "cannot create dataspace for shape \(shape)") }
    return space
  }

  /// Link-creation properties that create missing parent groups, so "a/b" works in one call.
  private func intermediateGroupProperties(_ what: String) throws(HDF5Error) -> hid_t {
    let properties = H5Pcreate(cdbn_h5p_link_create())
    guard properties >= 0 else { throw failure(what, "cannot create link properties") }
    guard H5Pset_create_intermediate_group(properties, 1) >= 0 else {
      let error = failure(what, "cannot set link properties")
      H5Pclose(properties)
      throw error
    }
    return properties
  }

  /// A new variable-length string type; the caller closes it.
  private func variableStringType(characterSet: H5T_cset_t, what: String) throws(HDF5Error) -> hid_t
  {
    let type = H5Tcopy(cdbn_h5t_c_s1())
    guard type >= 0 else { throw failure(what, "cannot create string type") }
    guard H5Tset_size(type, cdbn_h5t_variable()) >= 0, H5Tset_cset(type, characterSet) >= 0 else {
      let error = failure(what, "cannot create string type")
      H5Tclose(type)
      throw error
    }
    return type
  }

  /// The little-endian file type for `type`; for `.string` a new variable-length UTF-8 type the
  /// caller closes, otherwise a predefined type that must not be closed.
  private func fileType(_ type: HDF5ElementType, what: String) throws(HDF5Error) -> hid_t {
    switch type {
    case .float32: return cdbn_h5t_ieee_f32le()
    case .float64: return cdbn_h5t_ieee_f64le()
    case .int64: return cdbn_h5t_std_i64le()
    case .uint64: return cdbn_h5t_std_u64le()
    case .uint8: return cdbn_h5t_std_u8le()
    case .string: return try variableStringType(characterSet: H5T_CSET_UTF8, what: what)
    }
  }
}

extension NumberKind {
  /// The native HDF5 memory type for this Swift scalar.
  fileprivate var memoryType: hid_t {
    switch self {
    case .float32: cdbn_h5t_native_float()
    case .float64: cdbn_h5t_native_double()
    case .int: MemoryLayout<Int>.size == 8 ? cdbn_h5t_native_int64() : cdbn_h5t_native_int32()
    case .uint64: cdbn_h5t_native_uint64()
    case .uint8: cdbn_h5t_native_uint8()
    }
  }
}
