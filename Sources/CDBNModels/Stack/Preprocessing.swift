import CDBNNumerics
import CDBNStorage
import RealModule

/// What is done to each raw example before the first layer, saved in the checkpoint's
/// `/preprocessing` group so `features` applies exactly the same.
///
/// Steps run in this order, each on every channel plane of every example:
/// 1. `whitenCutoff`: 1/f whitening with a low-pass roll-off (Olshausen & Field 1997): the spectrum is
///    multiplied by ρ·exp(−(ρ/f₀)⁴), ρ in cycles per pixel, f₀ = whitenCutoff (0.4 in their code).
///    The FFT treats the picture as periodic, so the jump between opposite borders becomes a strong
///    edge along every border; with `mirrorEdges` the picture is filtered as its mirror extension
///    (2H × 2W, continuous across the borders) and cut back: no jump is left there, only a change
///    of slope (a third or less of the periodic border response on a ramp, measured in the tests).
/// 2. `contrastSigma`: local contrast normalisation: subtract a Gaussian-weighted local mean, divide by
///    the larger of the local standard deviation and its mean over the plane (Jarrett et al. 2009).
/// 3. `unitVariance`: subtract the plane's mean and divide by its standard deviation.
public struct Preprocessing: ImageFrontEnd, Equatable {
  public var whitenCutoff: Float?
  /// Whiten the mirror extension instead of the periodic picture (config `whiten_edges: mirror`).
  public var mirrorEdges: Bool
  public var contrastSigma: Float?
  public var unitVariance: Bool

  public init(
    whitenCutoff: Float? = nil, mirrorEdges: Bool = false, contrastSigma: Float? = nil,
    unitVariance: Bool = false
  ) {
    self.whitenCutoff = whitenCutoff
    self.mirrorEdges = mirrorEdges
    self.contrastSigma = contrastSigma
    self.unitVariance = unitVariance
  }

  public static let none = Preprocessing()

  /// Every kind but the audio front end's: "none" or steps joined by "+", as `kind` writes them.
  public static func reads(kind: String) -> Bool {
    kind == "none"
      || kind.split(separator: "+").allSatisfy {
        ["whiten-1/f", "whiten-1/f-mirror", "lcn", "unit-variance"].contains($0)
      }
  }

  /// The `kind` attribute: "none", or the steps joined by "+" ("whiten-1/f+unit-variance").
  public var kind: String {
    var parts: [String] = []
    if whitenCutoff != nil { parts.append(mirrorEdges ? "whiten-1/f-mirror" : "whiten-1/f") }
    if contrastSigma != nil { parts.append("lcn") }
    if unitVariance { parts.append("unit-variance") }
    return parts.isEmpty ? "none" : parts.joined(separator: "+")
  }

  public func validate() throws {
    if let f = whitenCutoff, !(f > 0 && f <= 0.5) {
      throw ModelError.invalidConfiguration(
        "whiten cutoff must be in (0, 0.5] cycles/pixel (got \(f))")
    }
    if let s = contrastSigma, !(s > 0 && s < 100) {
      throw ModelError.invalidConfiguration(
        "local contrast sigma must be in (0, 100) pixels (got \(s))")
    }
  }

  /// Applies the steps to a batch [N, C, H, W].
  public func apply(_ x: Tensor) -> Tensor {
    if kind == "none" { return x }
    var out = x
    let (n, c, h, w) = x.dims4
    let plane = h * w
    for p in 0..<(n * c) {
      var values = Array(x.scalars[(p * plane)..<((p + 1) * plane)])
      if let f0 = whitenCutoff {
        values =
          mirrorEdges ? Self.whitenedMirror(values, h, w, f0) : Self.whitened(values, h, w, f0)
      }
      if let s = contrastSigma {
        values = Self.localContrast(values, height: h, width: w, sigma: s)
      }
      if unitVariance { Self.standardise(&values) }
      out.scalars.replaceSubrange((p * plane)..<((p + 1) * plane), with: values)
    }
    return out
  }

  /// The 1/f whitening of an H×W plane, periodic at its borders.
  static func whitened(_ v: [Float], _ h: Int, _ w: Int, _ f0: Float) -> [Float] {
    Fourier.filter(v, height: h, width: w) { fy, fx in
      let rho = ((fy / Float(h)) * (fy / Float(h)) + (fx / Float(w)) * (fx / Float(w)))
        .squareRoot()
      let r = rho / f0
      return rho * Float.exp(-(r * r * r * r))
    }
  }

  /// The whitening of the plane's mirror extension (rows y and 2H − 1 − y alike, columns too), cut
  /// back to the top-left H×W.
  static func whitenedMirror(_ v: [Float], _ h: Int, _ w: Int, _ f0: Float) -> [Float] {
    var extended = [Float](repeating: 0, count: 4 * h * w)
    for y in 0..<(2 * h) {
      let sy = y < h ? y : 2 * h - 1 - y
      for x in 0..<(2 * w) { extended[y * 2 * w + x] = v[sy * w + (x < w ? x : 2 * w - 1 - x)] }
    }
    let filtered = whitened(extended, 2 * h, 2 * w, f0)
    var out = [Float](repeating: 0, count: h * w)
    for y in 0..<h {
      for x in 0..<w { out[y * w + x] = filtered[y * 2 * w + x] }
    }
    return out
  }

  static func standardise(_ v: inout [Float]) {
    let mean = v.reduce(0.0) { $0 + Double($1) } / Double(max(1, v.count))
    let variance =
      v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(1, v.count))
    let inv = variance > 1e-20 ? Float(1 / variance.squareRoot()) : 1
    for i in 0..<v.count { v[i] = (v[i] - Float(mean)) * inv }
  }

  /// Gaussian-weighted local mean removal and division by local contrast; weights are renormalised at
  /// the borders so edge pixels are treated like interior ones.
  static func localContrast(_ v: [Float], height h: Int, width w: Int, sigma: Float) -> [Float] {
    let radius = max(1, Int((3 * sigma).rounded(.up)))
    let kernel = (-radius...radius).map { d in Float.exp(-Float(d * d) / (2 * sigma * sigma)) }
    func blur(_ x: [Float]) -> [Float] {
      var tmp = [Float](repeating: 0, count: x.count)
      var out = tmp
      for i in 0..<h {
        for j in 0..<w {
          var s: Float = 0
          var z: Float = 0
          for d in -radius...radius where j + d >= 0 && j + d < w {
            s += kernel[d + radius] * x[i * w + j + d]
            z += kernel[d + radius]
          }
          tmp[i * w + j] = s / z
        }
      }
      for i in 0..<h {
        for j in 0..<w {
          var s: Float = 0
          var z: Float = 0
          for d in -radius...radius where i + d >= 0 && i + d < h {
            s += kernel[d + radius] * tmp[(i + d) * w + j]
            z += kernel[d + radius]
          }
          out[i * w + j] = s / z
        }
      }
      return out
    }
    let mean = blur(v)
    let centred = zip(v, mean).map { $0 - $1 }
    let localStd = blur(centred.map { $0 * $0 }).map { $0.squareRoot() }
    let floor = max(localStd.reduce(0, +) / Float(max(1, localStd.count)), 1e-4)
    return zip(centred, localStd).map { $0 / max($1, floor) }
  }

  public func save(to group: HDF5Group) throws {
    try group.setAttribute("kind", kind)
    if let f = whitenCutoff { try group.setAttribute("whiten_cutoff", Double(f)) }
    if let s = contrastSigma { try group.setAttribute("lcn_sigma", Double(s)) }
  }

  public init(from group: HDF5Group) throws {
    let kind = try group.stringAttribute("kind")
    let parts = kind == "none" ? [] : kind.split(separator: "+").map(String.init)
    var p = Preprocessing()
    for part in parts {
      switch part {
      case "whiten-1/f", "whiten-1/f-mirror":
        p.mirrorEdges = part == "whiten-1/f-mirror"
        p.whitenCutoff =
          group.hasAttribute("whiten_cutoff")
          ? Float(try group.doubleAttribute("whiten_cutoff")) : 0.4
      case "lcn":
        p.contrastSigma =
          group.hasAttribute("lcn_sigma") ? Float(try group.doubleAttribute("lcn_sigma")) : 2
      case "unit-variance": p.unitVariance = true
      default:
        throw ModelError.malformedCheckpoint(
          "\(group.name): unknown preprocessing kind \"\(part)\" in \"\(kind)\"")
      }
    }
    try p.validate()
    self = p
  }
}
