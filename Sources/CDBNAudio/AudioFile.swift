import CDBNDatasets
import Foundation

/// Reads audio files through libsndfile: NIST SPHERE (TIMIT), RIFF WAV, FLAC, AIFF, ...
///
/// Before libsndfile sees a file, an empty file is reported as such and a SPHERE header is checked
/// against the file's real size (libsndfile trusts sample_count), as is a RIFF WAVE data chunk
/// (libsndfile silently shortens a truncated one), so a truncated download or a header that lies is a
/// `DatasetError` naming the file, never a short or garbage signal.
public enum AudioFile {
  /// Largest signal accepted, in samples over all channels (2³⁰: 18 hours of 16 kHz audio).
  public static let maximumSamples = 1 << 30

  /// The file at `path` as mono audio at its own rate (channels are averaged).
  public static func read(path: String) throws -> AudioSignal {
    try checkBeforeDecoding(path: path)
    let (samples, channels, rate) = try SoundFile.read(path: path)
    if channels == 1 { return AudioSignal(samples: samples, sampleRate: rate) }
    let frames = samples.count / channels
    var mono = [Float](repeating: 0, count: frames)
    let scale = 1 / Float(channels)
    for f in 0..<frames {
      var sum: Float = 0
      for c in 0..<channels { sum += samples[f * channels + c] }
      mono[f] = sum * scale
    }
    return AudioSignal(samples: mono, sampleRate: rate)
  }

  /// The file at `path` as mono audio converted to `sampleRate` Hz when it is at another rate.
  public static func read(path: String, sampleRate: Int, quality: Resampler.Quality = .medium)
    throws -> AudioSignal
  {
    let signal = try read(path: path)
    do {
      return try signal.resampled(to: sampleRate, quality: quality)
    } catch let error as DatasetError {
      throw DatasetError(error.kind, path: path, error.message)
    }
  }

  /// Number of samples `read(path:sampleRate:)` returns: from the header when the file is at
  /// `sampleRate` (SPHERE's checked header, else libsndfile's), else by decoding and resampling.
  public static func sampleCount(path: String, sampleRate: Int) throws -> Int {
    let (frames, rate) = try headerInfo(path: path)
    if rate == sampleRate { return frames }
    return try read(path: path, sampleRate: sampleRate).samples.count
  }

  /// Frames per channel and sample rate from the file's checked header, without decoding.
  public static func headerInfo(path: String) throws -> (frames: Int, sampleRate: Int) {
    try checkBeforeDecoding(path: path)
    return try SoundFile.info(path: path)
  }

  /// The SPHERE header of `path`, validated against the file size; nil when the file is not SPHERE.
  public static func sphereHeader(path: String) throws -> SphereHeader? {
    let (prefix, size) = try prefixAndSize(path: path)
    guard SphereHeader.looksLikeSphere(prefix) else { return nil }
    let header = try SphereHeader(parsing: prefix, path: path)
    try header.validate(fileSize: size, path: path)
    return header
  }

  /// Missing, empty, SPHERE-header and RIFF data-chunk checks.
  static func checkBeforeDecoding(path: String) throws {
    let (prefix, size) = try prefixAndSize(path: path)
    if SphereHeader.looksLikeSphere(prefix) {
      let header = try SphereHeader(parsing: prefix, path: path)
      try header.validate(fileSize: size, path: path)
    } else {
      try checkRIFF(prefix, fileSize: size, path: path)
    }
  }

  /// libsndfile reads a RIFF WAVE file whose data chunk runs past the end of the file as a shorter
  /// signal without complaint; this reports it as truncated. The chunks are walked within the first
  /// 4096 bytes; a data size of 0 or 0xFFFFFFFF (streamed files) is not checked.
  static func checkRIFF(_ prefix: [UInt8], fileSize: Int, path: String) throws {
    guard prefix.count >= 12, prefix[0..<4].elementsEqual("RIFF".utf8),
      prefix[8..<12].elementsEqual("WAVE".utf8)
    else { return }
    func le32(_ i: Int) -> Int {
      Int(prefix[i]) | Int(prefix[i + 1]) << 8 | Int(prefix[i + 2]) << 16 | Int(prefix[i + 3]) << 24
    }
    var offset = 12
    while offset + 8 <= prefix.count {
      let size = le32(offset + 4)
      if prefix[offset..<(offset + 4)].elementsEqual("data".utf8) {
        let available = fileSize - (offset + 8)
        if size != 0 && size != 0xFFFF_FFFF && size > available {
          throw DatasetError(
            .truncated, path: path,
            "WAVE data chunk claims \(size) bytes but only \(available) bytes follow")
        }
        return
      }
      offset += 8 + size + (size & 1)
    }
  }

  /// The first 4096 bytes of `path` (enough for any SPHERE header TIMIT uses; larger headers are
  /// read whole) and the file's size.
  private static func prefixAndSize(path: String) throws -> (prefix: [UInt8], size: Int) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DatasetError(.unreadable, path: path, "no such file")
    }
    guard !isDirectory.boolValue else {
      throw DatasetError(.unreadable, path: path, "is a folder, not an audio file")
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DatasetError(.unreadable, path: path, "cannot be opened for reading")
    }
    defer { try? handle.close() }
    let size = Int((try? handle.seekToEnd()) ?? 0)
    if size == 0 {
      throw DatasetError(.truncated, path: path, "file is empty")
    }
    try? handle.seek(toOffset: 0)
    var prefix = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
    if SphereHeader.looksLikeSphere(prefix) {
      // A header larger than 4096 bytes: read as much as its size line announces (bounded).
      let lines = prefix.prefix(64).split(
        separator: 10, maxSplits: 2, omittingEmptySubsequences: false)
      if lines.count >= 2,
        let announced = Int(String(decoding: lines[1], as: UTF8.self).trimmingSpaces),
        announced > prefix.count, announced <= 1 << 20, announced <= size
      {
        try? handle.seek(toOffset: 0)
        prefix = [UInt8]((try? handle.read(upToCount: announced)) ?? Data())
      }
    }
    return (prefix, size)
  }
}
