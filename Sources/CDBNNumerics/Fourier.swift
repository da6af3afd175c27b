internal import CFFTW
import Foundation

/// The one place CDBNNumerics calls FFTW (single precision).
public enum Fourier {
  /// FFTW's planner is not thread-safe; planning and destroying plans happen under this lock.
  private static let planner = NSLock()

  /// Filters a real H×W plane in the frequency domain: out = IFFT(FFT(x) · response(fy, fx)), where
  /// fy ∈ [−H/2, H/2) and fx ∈ [0, W/2] are frequencies in cycles per plane and `response` is real
  /// and symmetric (as any zero-phase filter is).
  public static func filter(
    _ plane: [Float], height: Int, width: Int, response: (_ fy: Float, _ fx: Float) -> Float
  ) -> [Float] {
    precondition(plane.count == height * width && height > 0 && width > 0)
    let wc = width / 2 + 1
    let real = fftwf_alloc_real(height * width)!
    let spectrum = fftwf_alloc_complex(height * wc)!
    defer {
      fftwf_free(real)
      fftwf_free(spectrum)
    }
    planner.lock()
    let forward = fftwf_plan_dft_r2c_2d(
      Int32(height), Int32(width), real, spectrum, UInt32(FFTW_ESTIMATE))
    let inverse = fftwf_plan_dft_c2r_2d(
      Int32(height), Int32(width), spectrum, real, UInt32(FFTW_ESTIMATE))
    planner.unlock()
    defer {
      planner.lock()
      fftwf_destroy_plan(forward)
      fftwf_destroy_plan(inverse)
      planner.unlock()
    }
    for i in 0..<plane.count { real[i] = plane[i] }
    fftwf_execute(forward)
    let norm = 1 / Float(height * width)
    for y in 0..<height {
      let fy = Float(y < (height + 1) / 2 ? y : y - height)
      for x in 0..<wc {
        let r = response(fy, Float(x)) * norm
        let idx = y * wc + x
        spectrum[idx].0 *= r
        spectrum[idx].1 *= r
      }
    }
    fftwf_execute(inverse)
    return (0..<plane.count).map { real[$0] }
  }

  /// Power spectra |X[k]|², k = 0...length/2, of `count` real frames of `length` samples stored one
  /// after another in `frames` (already windowed and zero-padded by the caller); returns
  /// count × (length/2 + 1) values, frame-major. One FFTW plan serves every frame.
  public static func powerSpectra(_ frames: [Float], count: Int, length: Int) -> [Float] {
    precondition(count >= 0 && length > 0 && frames.count == count * length)
    let bins = length / 2 + 1
    if count == 0 { return [] }
    let real = fftwf_alloc_real(length)!
    let spectrum = fftwf_alloc_complex(bins)!
    defer {
      fftwf_free(real)
      fftwf_free(spectrum)
    }
    planner.lock()
    let plan = fftwf_plan_dft_r2c_1d(Int32(length), real, spectrum, UInt32(FFTW_ESTIMATE))
    planner.unlock()
    defer {
      planner.lock()
      fftwf_destroy_plan(plan)
      planner.unlock()
    }
    var out = [Float](repeating: 0, count: count * bins)
    frames.withUnsafeBufferPointer { input in
      out.withUnsafeMutableBufferPointer { power in
        for f in 0..<count {
          real.update(from: input.baseAddress! + f * length, count: length)
          fftwf_execute(plan)
          for k in 0..<bins {
            let re = spectrum[k].0
            let im = spectrum[k].1
            power[f * bins + k] = re * re + im * im
          }
        }
      }
    }
    return out
  }
}
