import CDBNDatasets
internal import CSndfile

/// The one place CDBNAudio calls libsndfile: every frame of a file as Float, channels interleaved.
enum SoundFile {
  /// Decoded samples (int16 scaled by 1/32768, as libsndfile does), the channel count and the rate.
  static func read(path: String) throws -> (samples: [Float], channels: Int, sampleRate: Int) {
    var info = SF_INFO()
    guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
      let reason = String(cString: sf_strerror(nil))
      throw DatasetError(.unsupportedFormat, path: path, "libsndfile cannot open it: \(reason)")
    }
    defer { sf_close(handle) }
    let channels = Int(info.channels)
    let frames = Int(info.frames)
    guard channels > 0, info.samplerate > 0 else {
      throw DatasetError(
        .badHeader, path: path,
        "header gives \(channels) channels at \(info.samplerate) Hz")
    }
    guard frames > 0 else {
      throw DatasetError(.truncated, path: path, "holds no audio samples")
    }
    let (total, overflow) = frames.multipliedReportingOverflow(by: channels)
    guard !overflow, total <= AudioFile.maximumSamples else {
      throw DatasetError(
        .tooLarge, path: path,
        "claims \(frames) frames of \(channels) channels, more than the \(AudioFile.maximumSamples) samples this reader accepts"
      )
    }
    var samples = [Float](repeating: 0, count: total)
    let read = samples.withUnsafeMutableBufferPointer { buffer in
      Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(frames)))
    }
    guard read == frames else {
      throw DatasetError(
        .truncated, path: path, "header promises \(frames) frames but only \(read) could be read")
    }
    return (samples, channels, Int(info.samplerate))
  }

  /// Frames per channel and rate from the header alone, without decoding.
  static func info(path: String) throws -> (frames: Int, sampleRate: Int) {
    var info = SF_INFO()
    guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
      let reason = String(cString: sf_strerror(nil))
      throw DatasetError(.unsupportedFormat, path: path, "libsndfile cannot open it: \(reason)")
    }
    sf_close(handle)
    guard info.channels > 0, info.samplerate > 0, info.frames >= 0 else {
      throw DatasetError(
        .badHeader, path: path, "header gives \(info.channels) channels at \(info.samplerate) Hz")
    }
    return (Int(info.frames), Int(info.samplerate))
  }
}
