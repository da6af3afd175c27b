internal import CSamplerate

/// The one place CDBNAudio calls libsamplerate.
enum SampleRateConversion {
  /// `samples` (mono) converted by `ratio` = output rate / input rate with one of libsamplerate's
  /// band-limited sinc converters; a failure carries libsamplerate's message.
  static func convert(_ samples: [Float], ratio: Double, quality: Resampler.Quality) -> Result<
    [Float], ResamplerFailure
  > {
    if samples.isEmpty { return .success([]) }
    let capacity = Int((Double(samples.count) * ratio).rounded(.up)) + 64
    var output = [Float](repeating: 0, count: capacity)
    let converter: Int32
    switch quality {
    case .best: converter = Int32(SRC_SINC_BEST_QUALITY)
    case .medium: converter = Int32(SRC_SINC_MEDIUM_QUALITY)
    case .fastest: converter = Int32(SRC_SINC_FASTEST)
    }
    var generated = 0
    let status = samples.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { out in
        var data = SRC_DATA()
        data.data_in = input.baseAddress
        data.data_out = out.baseAddress
        data.input_frames = Int(input.count)
        data.output_frames = Int(out.count)
        data.src_ratio = ratio
        data.end_of_input = 1
        let status = src_simple(&data, converter, 1)
        generated = Int(data.output_frames_gen)
        return status
      }
    }
    guard status == 0 else {
      return .failure(ResamplerFailure(message: String(cString: src_strerror(status))))
    }
    output.removeSubrange(generated...)
    return .success(output)
  }

  struct ResamplerFailure: Error { let message: String }
}
