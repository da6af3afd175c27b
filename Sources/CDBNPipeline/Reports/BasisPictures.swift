import CDBNAudio
import CDBNDatasets
import CDBNModels
import CDBNNumerics

/// Pictures of learned bases. Layer-1 bases are the filters themselves; a higher layer's bases are
/// projected into the input space as weighted sums of the layer-below bases (Lee et al. 2009, fig. 2):
/// each weight of a layer-l filter sits on one pooling unit of layer l−1, which is spread evenly over
/// its block of detection units, and the result is convolved (full) with the layer-(l−1) bases.
/// For deconvolutional layers this is exactly their top-down projection (Zeiler et al. 2010): a
/// single 1 in a layer-l map reconstructed through layer l's filters, then through each layer below
/// (the full convolution with a layer's filters is its reconstruction; unpooled maps spread to
/// themselves).
public enum BasisPictures {
  /// The bases of layer `depth` (1-based) in input space: [K, C, h, w].
  public static func bases(of model: ConvolutionalDBN, depth: Int) throws -> Tensor {
    guard depth >= 1, depth <= model.layers.count else {
      throw ModelError.invalidConfiguration(
        "layer \(depth) does not exist; the model has \(model.layers.count) layer(s)")
    }
    var current = model.layers[depth - 1].filters  // [K, C_{l}, h, w] over layer-(l−1) pooling units
    for below in model.layers.prefix(depth - 1).reversed() {
      let pool = below.pooling
      let (k, c, h, w) = current.dims4
      // Spread each pooling unit over its block of detection units.
      var spread = Tensor(zeros: [k, c, h * pool[0], w * pool[1]])
      let scale = 1 / Float(pool[0] * pool[1])
      for a in 0..<k {
        for b in 0..<c {
          for i in 0..<(h * pool[0]) {
            for j in 0..<(w * pool[1]) {
              spread[a, b, i, j] = current[a, b, i / pool[0], j / pool[1]] * scale
            }
          }
        }
      }
      current = Convolution.convolveFull(spread, below.filters)
    }
    return current
  }

  /// Tiles bases [K, C, h, w] into one grayscale picture: each basis scaled to its own symmetric range
  /// (grey is zero), one-pixel gaps, `zoom`× nearest-neighbour enlargement. A basis with several
  /// channels is drawn as its channels side by side (audio: one column per time step, one row per
  /// channel, when h is 1).
  public static func tile(_ bases: Tensor, zoom: Int = 3) -> (
    pixels: [Float], width: Int, height: Int
  ) {
    let (k, c, h, w) = bases.dims4
    // A basis as a 2-D patch: channels stacked vertically for 1-D (h = 1) bases, side by side otherwise.
    let (ph, pw) = h == 1 && c > 1 ? (c, w) : (h, w * c)
    let columns = Int(Double(k).squareRoot().rounded(.up))
    let rows = (k + columns - 1) / columns
    let cellH = ph * zoom + 1
    let cellW = pw * zoom + 1
    let width = columns * cellW + 1
    let height = rows * cellH + 1
    var pixels = [Float](repeating: 0.0, count: width * height)
    for b in 0..<k {
      let base = b * c * h * w
      let values = bases.scalars[base..<(base + c * h * w)]
      let m = max(values.map { abs($0) }.max() ?? 1, 1e-12)
      let (r0, c0) = ((b / columns) * cellH + 1, (b % columns) * cellW + 1)
      for y in 0..<ph {
        for x in 0..<pw {
          let v: Float
          if h == 1 && c > 1 {
            v = bases[b, y, 0, x]
          } else {
            v = bases[b, x / w, y, x % w]
          }
          let g = 0.5 + 0.5 * v / m
          for dy in 0..<zoom {
            for dx in 0..<zoom { pixels[(r0 + y * zoom + dy) * width + c0 + x * zoom + dx] = g }
          }
        }
      }
    }
    return (pixels, width, height)
  }

  /// Writes the picture of layer `depth`'s bases to `path` (PNG); an audio model's as spectrogram
  /// patches (`SpectrogramBasisPictures`).
  public static func write(model: ConvolutionalDBN, depth: Int, to path: String, zoom: Int = 3)
    throws
  {
    if let audio = model.frontEnd as? AudioFeatures {
      try SpectrogramBasisPictures.write(
        model: model, frontEnd: audio, depth: depth, to: path, zoom: zoom)
      return
    }
    let t = tile(try bases(of: model, depth: depth), zoom: zoom)
    try PipelineError.naming(path) {
      try PNGWriter.write(gray: t.pixels, width: t.width, height: t.height, to: path)
    }
  }
}
