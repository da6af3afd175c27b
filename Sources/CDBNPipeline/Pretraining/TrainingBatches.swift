import CDBNDatasets
import CDBNModels
import CDBNNumerics

/// Mini-batches for pretraining, each a pure function of (seed, layer, epoch, index): a run that is
/// interrupted and resumed sees exactly the batches an uninterrupted run sees.
///
/// Whole examples are visited in a fresh permutation each epoch; with `patch`, each batch is random
/// crops of random (preprocessed) images, as in Lee et al.'s natural-image experiments.
final class TrainingBatches {
  let source: any ExampleSource
  let path: String
  let preprocessing: Preprocessing
  let patch: [Int]?
  let count: Int
  let seed: UInt64
  /// Preprocessed whole images for patch sampling, kept while they fit in `cacheLimit` floats.
  private var cache: [Int: Tensor] = [:]
  private var cachedFloats = 0
  private var order: (key: UInt64, indices: [Int])?
  private let cacheLimit = 128 << 20

  init(
    source: any ExampleSource, path: String, preprocessing: Preprocessing, patch: [Int]?,
    limit: Int?, seed: UInt64
  ) throws {
    self.source = source
    self.path = path
    self.preprocessing = preprocessing
    self.patch = patch
    self.seed = seed
    count = min(source.count, limit ?? source.count)
    guard count > 0 else { throw PipelineError(path, "holds no examples") }
  }

  /// Shape of one batch element [C, H, W].
  var exampleShape: [Int] {
    let s = source.exampleShape
    guard let patch else { return s }
    return [s[0], patch[0], patch[1]]
  }

  func batchesPerEpoch(batchSize: Int, requested: Int?) throws -> Int {
    if let requested { return requested }
    if patch != nil { return 50 }
    guard count >= batchSize else {
      throw PipelineError(
        path, "\(count) examples cannot fill a batch of \(batchSize); lower batch_size")
    }
    return count / batchSize
  }

  /// Batch `index` of `epoch` for layer `layer`, preprocessed: [size, C, H, W], or only its rows
  /// `rows` (a process's share of it in a data-parallel run).
  func batch(layer: Int, epoch: Int, index: Int, size: Int, rows: Range<Int>? = nil) throws
    -> Tensor
  {
    let rows = rows ?? 0..<size
    let key = (UInt64(layer) << 48) ^ (UInt64(epoch) << 24) ^ UInt64(index)
    if let patch { return try crops(size: size, rows: rows, patch: patch, stream: key) }
    // Batches past one pass over the data start a new permutation.
    let perPass = max(1, count / max(1, size))
    let passKey = (UInt64(layer) << 40) ^ (UInt64(epoch) << 20) ^ UInt64(index / perPass)
    if order?.key != passKey {
      var shuffle = RandomStream(seed: seed, stream: 0xE90C_0000_0000_0000 ^ passKey)
      order = (passKey, shuffle.permutation(count))
    }
    let order = self.order!.indices
    let start = (index % perPass) * size
    var out = Tensor(zeros: [rows.count] + source.exampleShape)
    let per = out.count / max(1, rows.count)
    for (row, i) in rows.enumerated() {
      let example = try source.batch(order[(start + i) % count]..<(order[(start + i) % count] + 1))
      out.scalars.replaceSubrange((row * per)..<((row + 1) * per), with: example.scalars)
    }
    return preprocessing.apply(out)
  }

  /// Random crops: crop i is drawn from one random stream after crops 0..<i, so a share of the rows
  /// draws (but does not cut) the crops before it.
  private func crops(size: Int, rows: Range<Int>, patch: [Int], stream: UInt64) throws -> Tensor {
    var rng = RandomStream(seed: seed, stream: 0xC809 ^ stream)
    let c = source.exampleShape[0]
    let sameSize = !(source is any VariableSizeExamples)
    var out = Tensor(zeros: [rows.count, c, patch[0], patch[1]])
    for i in 0..<rows.upperBound {
      let picture = rng.nextInt(below: count)
      let cut = rows.contains(i)
      // Preprocessing keeps a picture's size, so pictures of one size need not be read to be skipped.
      let image = cut || !sameSize ? try preprocessedImage(picture) : nil
      let (h, w) =
        image.map { ($0.dims4.h, $0.dims4.w) } ?? (source.exampleShape[1], source.exampleShape[2])
      guard h >= patch[0], w >= patch[1] else {
        throw PipelineError(
          path, "example is \(h)×\(w), smaller than the \(patch[0])×\(patch[1]) patch")
      }
      let y = rng.nextInt(below: h - patch[0] + 1)
      let x = rng.nextInt(below: w - patch[1] + 1)
      guard cut, let image else { continue }
      let row = i - rows.lowerBound
      for ch in 0..<c {
        for r in 0..<patch[0] {
          let src = (ch * h + y + r) * w + x
          let dst = ((row * c + ch) * patch[0] + r) * patch[1]
          out.scalars.replaceSubrange(
            dst..<(dst + patch[1]), with: image.scalars[src..<(src + patch[1])])
        }
      }
    }
    return out
  }

  private func preprocessedImage(_ i: Int) throws -> Tensor {
    if let t = cache[i] { return t }
    let raw = try source.single(i)
    if let bad = raw.firstNonFinite() {
      throw PipelineError(path, "example \(i) holds a non-finite value at flat index \(bad)")
    }
    let t = preprocessing.apply(raw)
    if cachedFloats + t.count <= cacheLimit {
      cache[i] = t
      cachedFloats += t.count
    }
    return t
  }
}
