import CDBNAudio
import CDBNDatasets
import CDBNModels
import CDBNNumerics

/// Pictures of an audio model's bases as spectrogram patches (Lee, Largman, Pham & Ng 2009, figure
/// 1): each basis, at any depth projected to the first layer's input (`BasisPictures.bases`), taken
/// out of the PCA-whitened coordinates back to log-power spectrogram bins, and drawn with frequency
/// up (linear, 0 at the bottom to half the sample rate at the top) and time to the right, one
/// column of `zoom` pixels per frame. The bases are ordered by the frequency of their largest
/// magnitude, low to high, and a two-line header names the axes.
enum SpectrogramBasisPictures {
  static func write(
    model: ConvolutionalDBN, frontEnd: AudioFeatures, depth: Int, to path: String, zoom: Int
  ) throws {
    let bases = try BasisPictures.bases(of: model, depth: depth)  // [K, k, 1, T]
    let (k, channels, _, frames) = bases.dims4
    let whitening = frontEnd.whitening
    guard channels == whitening.componentCount else {
      throw PipelineError(
        path,
        "layer \(depth) bases have \(channels) channels, the whitening \(whitening.componentCount)")
    }
    let bins = whitening.inputDimension
    // patches[b][t][f]: basis b, frame t, frequency bin f.
    let patches = (0..<k).map { b in
      (0..<frames).map { t in
        whitening.dewhitened(
          ArraySlice((0..<channels).map { bases[b, $0, 0, t] }))
      }
    }
    let peakBin = patches.map { patch in
      var best = (bin: 0, value: Float(-1))
      for frame in patch {
        for (f, v) in frame.enumerated() where abs(v) > best.value { best = (f, abs(v)) }
      }
      return best.bin
    }
    let order = (0..<k).sorted { (peakBin[$0], $0) < (peakBin[$1], $1) }
    let columns = min(k, 30)
    let rows = (k + columns - 1) / columns
    let (cellW, cellH) = (frames * zoom + 2, bins + 2)
    let header = 36
    var raster = Raster(width: max(columns * cellW, 560), height: header + rows * cellH)
    let nyquist = frontEnd.spectrogram.sampleRate / 2
    let hop = Double(frontEnd.spectrogram.hopLength) / Double(frontEnd.spectrogram.sampleRate)
    raster.text("FREQUENCY 0-\(nyquist) HZ LINEAR  BOTTOM TO TOP", at: 2, 2)
    raster.text(
      "TIME LEFT TO RIGHT: \(frames) FRAMES (HOP \(Int((hop * 1000).rounded())) MS)  LAYER \(depth)",
      at: 2, 18)
    for (slot, b) in order.enumerated() {
      let m = max(patches[b].flatMap { $0 }.map(abs).max() ?? 1, 1e-12)
      let (x0, y0) = ((slot % columns) * cellW + 1, header + (slot / columns) * cellH + 1)
      for t in 0..<frames {
        for f in 0..<bins {
          let g = UInt8((255 * (0.5 + 0.5 * patches[b][t][f] / m)).rounded())
          for dx in 0..<zoom { raster.set(x0 + t * zoom + dx, y0 + bins - 1 - f, (g, g, g)) }
        }
      }
    }
    try PipelineError.naming(path) {
      try PNGWriter.write(rgb: raster.pixels, width: raster.width, height: raster.height, to: path)
    }
  }
}
