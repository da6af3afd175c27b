internal import CZlib
import Foundation

/// The module's only contact with zlib: whole-file reads that gunzip when the file is gzipped.
///
/// zlib's gz* functions read a file without the gzip magic as it is ("transparent" mode), so the
/// same call serves `t10k-images-idx3-ubyte` and `t10k-images-idx3-ubyte.gz`; the format is told by
/// the bytes, never by the extension.
enum GzipFile {
  /// The largest decompressed size accepted: a gzip bomb or a wrong path must not exhaust memory.
  static let defaultMaxBytes = 4 << 30

  /// The whole (decompressed) content of `path`, at most `maxBytes` bytes.
  static func readAll(path: String, maxBytes: Int = defaultMaxBytes) throws -> [UInt8] {
    let onDisk = try checkedFileSize(path: path)
    let file = try open(path: path)
    var closed = false
    defer { if !closed { gzclose(file) } }

    // A raw file needs exactly its size (+1 to see the end); for gzip a guess of 4x grows by doubling.
    // A manually grown buffer, because Array growth through generic appends crawls in debug builds.
    let guess =
      gzdirect(file) != 0 ? onDisk : onDisk.multipliedReportingOverflow(by: 4).partialValue
    var capacity = max(1 << 12, min(guess, maxBytes) + 1)
    var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var used = 0
    while true {
      if used == capacity {
        let larger = capacity + min(capacity, maxBytes + 1 - used)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        grown.update(from: buffer, count: used)
        buffer.deallocate()
        buffer = grown
        capacity = larger
      }
      // Never ask for more than one byte past the limit: that byte is how "too large" shows.
      let want = min(capacity - used, maxBytes + 1 - used, 1 << 30)
      let n = gzread(file, buffer + used, UInt32(want))
      if n < 0 { throw streamError(file, path: path) }
      if n == 0 { break }
      used += Int(n)
      if used > maxBytes {
        throw DatasetError(
          .tooLarge, path: path, "decompressed content exceeds the limit of \(maxBytes) bytes")
      }
    }
    // A gzip stream cut short reads as a soft Z_BUF_ERROR, then as end of file: check for it.
    var errnum: Int32 = 0
    _ = gzerror(file, &errnum)
    if errnum == Z_BUF_ERROR {
      throw DatasetError(
        .truncated, path: path, "gzip stream is truncated (unexpected end of file)")
    }
    closed = true
    let status = gzclose(file)
    if status == Z_BUF_ERROR {
      throw DatasetError(
        .truncated, path: path, "gzip stream is truncated (unexpected end of file)")
    }
    if status != Z_OK {
      throw DatasetError(.decodeFailed, path: path, "gzip read failed (zlib status \(status))")
    }
    return [UInt8](unsafeUninitializedCapacity: used) { out, initialized in
      if let start = out.baseAddress { start.update(from: buffer, count: used) }
      initialized = used
    }
  }

  /// Up to `count` leading (decompressed) bytes of `path`, to sniff a magic number.
  static func readPrefix(path: String, count: Int) throws -> [UInt8] {
    _ = try checkedFileSize(path: path)
    let file = try open(path: path)
    defer { gzclose(file) }
    var out = [UInt8](repeating: 0, count: count)
    var used = 0
    while used < count {
      let n = out.withUnsafeMutableBufferPointer { buffer in
        gzread(file, buffer.baseAddress! + used, UInt32(count - used))
      }
      if n < 0 { throw streamError(file, path: path) }
      if n == 0 { break }
      used += Int(n)
    }
    out.removeSubrange(used...)
    return out
  }

  /// The size on disk of the regular file at `path`, with a clear error for a missing file or a folder.
  private static func checkedFileSize(path: String) throws -> Int {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DatasetError(.unreadable, path: path, "no such file")
    }
    if isDirectory.boolValue {
      throw DatasetError(.unreadable, path: path, "is a directory, not a file")
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    return (attributes?[.size] as? NSNumber)?.intValue ?? 0
  }

  private static func open(path: String) throws -> gzFile {
    guard let file = gzopen(path, "rb") else {
      let reason = String(cString: strerror(errno))
      throw DatasetError(.unreadable, path: path, "cannot open: \(reason)")
    }
    // A larger buffer than zlib's 8 KiB default cuts the number of read system calls.
    gzbuffer(file, 1 << 17)
    return file
  }

  private static func streamError(_ file: gzFile, path: String) -> DatasetError {
    var errnum: Int32 = 0
    let text = gzerror(file, &errnum).map { String(cString: $0) } ?? "unknown error"
    if errnum == Z_ERRNO {
      return DatasetError(
        .unreadable, path: path, "read failed: \(String(cString: strerror(errno)))")
    }
    if errnum == Z_BUF_ERROR {
      return DatasetError(.truncated, path: path, "gzip stream is truncated (\(text))")
    }
    return DatasetError(.decodeFailed, path: path, "corrupt gzip data: \(text)")
  }
}
