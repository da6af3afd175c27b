import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNPipeline
import CDBNTestSupport
import Foundation
import Testing

@Suite struct BasisPicturesTests {
  /// Two channels in, layer-1 pooling 2×3 (not square, so a swapped height and width shows),
  /// layer-1 filters 3×2, layer-2 filters 2×3.
  static func model() throws -> ConvolutionalDBN {
    ConvolutionalDBN(
      preprocessing: .none,
      layers: [
        try handMadeRBM(channels: 2, filters: 3, size: (3, 2), pooling: (2, 3)),
        try handMadeRBM(channels: 3, filters: 4, size: (2, 3), pooling: (2, 2), salt: 2),
      ])
  }

  @Test func layerOneBasesAreTheFilters() throws {
    let m = try Self.model()
    let bases = try BasisPictures.bases(of: m, depth: 1)
    #expect(bases == m.layers[0].filters)
  }

  /// Spread each layer-2 weight over its ph×pw block with weight 1/(ph·pw), then full-convolve with
  /// the layer-1 filters, all by explicit loops.
  static func naiveLayerTwoBases(_ m: ConvolutionalDBN) -> Tensor {
    let w1 = m.layers[0].filters  // [K1, C, fh1, fw1]
    let w2 = m.layers[1].filters  // [K2, K1, fh2, fw2]
    let (ph, pw) = (m.layers[0].pooling[0], m.layers[0].pooling[1])
    let (k1, c, fh1, fw1) = w1.dims4
    let (k2, _, fh2, fw2) = w2.dims4
    let (sh, sw) = (fh2 * ph, fw2 * pw)
    var spread = Tensor(zeros: [k2, k1, sh, sw])
    for a in 0..<k2 {
      for b in 0..<k1 {
        for i in 0..<sh {
          for j in 0..<sw { spread[a, b, i, j] = w2[a, b, i / ph, j / pw] / Float(ph * pw) }
        }
      }
    }
    let (h, w) = (sh + fh1 - 1, sw + fw1 - 1)
    var out = Tensor(zeros: [k2, c, h, w])
    for a in 0..<k2 {
      for ch in 0..<c {
        for y in 0..<h {
          for x in 0..<w {
            var sum: Float = 0
            for b in 0..<k1 {
              for i in 0..<sh {
                for j in 0..<sw {
                  let (u, v) = (y - i, x - j)
                  guard u >= 0, u < fh1, v >= 0, v < fw1 else { continue }
                  sum += spread[a, b, i, j] * w1[b, ch, u, v]
                }
              }
            }
            out[a, ch, y, x] = sum
          }
        }
      }
    }
    return out
  }

  @Test func layerTwoBasesAreProjectedThroughLayerOne() throws {
    let m = try Self.model()
    let bases = try BasisPictures.bases(of: m, depth: 2)
    // [K2, C, fh2·ph1 + fh1 − 1, fw2·pw1 + fw1 − 1] = [4, 2, 2·2 + 3 − 1, 3·3 + 2 − 1].
    #expect(bases.shape == [4, 2, 6, 10])
    let naive = Self.naiveLayerTwoBases(m)
    #expect(naive.shape == bases.shape)
    #expect(maxDifference(bases.scalars, naive.scalars) <= 1e-6)
  }

  /// A single layer-2 weight at one tap projects to the layer-1 filter, box-blurred over its pooling block.
  @Test func aSingleLayerTwoWeightProjectsToABlurredLayerOneFilter() throws {
    var l1 = try handMadeRBM(channels: 1, filters: 1, size: (2, 2), pooling: (2, 2))
    l1.weights = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    var l2 = try handMadeRBM(channels: 1, filters: 1, size: (2, 2), pooling: (1, 1))
    l2.weights = Tensor(shape: [1, 1, 2, 2], scalars: [0, 0, 0, 4])
    let bases = try BasisPictures.bases(of: ConvolutionalDBN(layers: [l1, l2]), depth: 2)
    #expect(bases.shape == [1, 1, 5, 5])
    // The weight sits on pooling unit (1, 1) = detection units (2...3, 2...3), each with 4/4 = 1.
    var expected = [Float](repeating: 0, count: 25)
    for (di, dj) in [(2, 2), (2, 3), (3, 2), (3, 3)] {
      for (u, v) in [(0, 0), (0, 1), (1, 0), (1, 1)] where di + u < 5 && dj + v < 5 {
        expected[(di + u) * 5 + dj + v] += Float(u * 2 + v + 1)
      }
    }
    #expect(maxDifference(bases.scalars, expected) <= 1e-6)
  }

  @Test func aLayerThatDoesNotExistIsAnError() throws {
    let m = try Self.model()
    for depth in [0, 3] {
      let text = thrownDescription { _ = try BasisPictures.bases(of: m, depth: depth) }
      #expect(text.contains("layer \(depth)"), "\(text)")
    }
  }

  @Test func picturesAreWrittenAsPNG() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let m = try Self.model()
    for depth in [1, 2] {
      let path = directory.file("layer\(depth).png")
      try BasisPictures.write(model: m, depth: depth, to: path, zoom: 2)
      #expect(Array(try bytes(path).prefix(8)) == pngMagic)
      let image = try DecodedImage(path: path)
      let t = BasisPictures.tile(try BasisPictures.bases(of: m, depth: depth), zoom: 2)
      #expect(image.width == t.width)
      #expect(image.height == t.height)
    }
    // Zero is drawn grey: the picture of all-zero bases is uniform.
    let flat = BasisPictures.tile(Tensor(zeros: [2, 1, 3, 3]), zoom: 1)
    #expect(Set(flat.pixels).isSubset(of: [0, 0.5]))
  }

  @Test func aPictureThatCannotBeWrittenNamesItsPath() throws {
    let m = try Self.model()
    let path = "/nonexistent-directory-\(UUID().uuidString)/bases.png"
    let text = thrownDescription { try BasisPictures.write(model: m, depth: 1, to: path) }
    #expect(text.contains(path), "\(text)")
  }
}
