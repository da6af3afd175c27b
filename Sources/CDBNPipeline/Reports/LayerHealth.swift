import CDBNModels
import CDBNNumerics
import Foundation

/// Whether a trained layer learned anything: how alike its filters are, how strongly it responds
/// against its sparsity target, and the scale of its weights. `cdbn inspect` prints it per layer and
/// warns about a layer that collapsed (every filter the same picture) or died (no unit responds).
public struct LayerHealth: Sendable, Equatable {
  /// Mean |cos| over all pairs of filters (flattened over channels and taps); near 0 for distinct
  /// filters, near 1 when they are one filter repeated.
  public var meanAbsoluteCosine: Double
  /// Root mean square of the filters' weights.
  public var weightRMS: Double
  /// Mean P(h = 1 | data) of the layer's last training epoch, when the history has it.
  public var meanActivation: Double?
  /// The sparsity target the layer trained towards, when known.
  public var activationTarget: Double?
  /// Units whose own mean activation of the last epoch is below `deadFraction` of the target, and
  /// the units counted, when the per-unit activations and the target are known.
  public var deadUnits: (count: Int, of: Int)?
  /// How many of the dead units have filters more than `outsizedNorm` times the living units'
  /// median norm: units that grew large negative weights and a large bias and now answer only an
  /// input the data never shows (MNIST's 200-base layer 2: norms 21× the living ones', bias +9.6).
  /// A smaller weight decay cannot revive those; a smaller learning rate keeps them from forming.
  public var outsizedDeadUnits: Int?

  /// Filters this alike (mean |cos|) have collapsed to one: distinct layers measured 0.025–0.20
  /// (natural images, MNIST, TIMIT), collapsed ones 0.81 (natural images at σ = 1) and 0.92–0.99
  /// (the planted-structure test at σ = 1).
  public static let collapsedCosine = 0.5
  /// A layer whose mean activation is below this fraction of its target has died.
  public static let deadFraction = 0.1
  /// A dead unit whose filter norm is this many times the living units' median has diverged.
  public static let outsizedNorm = 5.0

  public init(filters: Tensor, meanActivation: Double?, activationTarget: Double?) {
    meanAbsoluteCosine = Self.meanAbsoluteCosine(filters)
    let w = filters.scalars
    weightRMS = (w.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(1, w.count)))
      .squareRoot()
    self.meanActivation = meanActivation
    self.activationTarget = activationTarget
  }

  /// From each unit's mean activation of the last epoch: their mean, and how many died.
  public init(filters: Tensor, unitActivations: [Double], activationTarget: Double?) {
    self.init(
      filters: filters,
      meanActivation: unitActivations.isEmpty
        ? nil : unitActivations.reduce(0, +) / Double(unitActivations.count),
      activationTarget: activationTarget)
    if let t = activationTarget, !unitActivations.isEmpty {
      let dead = unitActivations.map { $0 < Self.deadFraction * t }
      deadUnits = (dead.filter { $0 }.count, unitActivations.count)
      if filters.shape[0] == dead.count {
        let norms = Self.rowNorms(filters)
        let living = zip(norms, dead).filter { !$1 }.map(\.0).sorted()
        if !living.isEmpty {
          let median = living[living.count / 2]
          outsizedDeadUnits =
            zip(norms, dead).filter { $1 && $0 > Self.outsizedNorm * median }
            .count
        }
      }
    }
  }

  public static func == (a: LayerHealth, b: LayerHealth) -> Bool {
    a.meanAbsoluteCosine == b.meanAbsoluteCosine && a.weightRMS == b.weightRMS
      && a.meanActivation == b.meanActivation && a.activationTarget == b.activationTarget
      && a.deadUnits?.count == b.deadUnits?.count && a.deadUnits?.of == b.deadUnits?.of
      && a.outsizedDeadUnits == b.outsizedDeadUnits
  }

  /// What is wrong with the layer, one sentence each (empty when it looks healthy).
  public var warnings: [String] {
    var out: [String] = []
    if meanAbsoluteCosine >= Self.collapsedCosine {
      out.append(
        "collapsed: its filters are alike (mean |cos| \(format(meanAbsoluteCosine)) ≥ \(Self.collapsedCosine)); its starting scale, learning rate or weight decay do not suit its input"
      )
    }
    if let a = meanActivation, let t = activationTarget, a < Self.deadFraction * t {
      out.append(
        "died: mean activation \(format(a)) is below a tenth of its target \(format(t))")
    } else if let a = meanActivation, a == 0 {
      out.append("died: no unit responds")
    } else if let dead = deadUnits, 4 * dead.count >= dead.of {
      let died =
        "\(dead.count) of its \(dead.of) units died (activation below a tenth of the target)"
      if let outsized = outsizedDeadUnits, 2 * outsized >= dead.count {
        out.append(
          "\(died), \(outsized) of them with filters over \(Int(Self.outsizedNorm))× the living units' norm (they diverged): a smaller learning rate may keep them"
        )
      } else {
        out.append("\(died): a smaller weight decay or learning rate may keep them")
      }
    }
    return out
  }

  /// The line `cdbn inspect` prints for the layer.
  public var summary: String {
    var parts = [
      "filters mean |cos| \(format(meanAbsoluteCosine))", "weight rms \(format(weightRMS))",
    ]
    if let a = meanActivation {
      parts.append(
        "mean activation \(format(a))" + (activationTarget.map { " (target \(format($0)))" } ?? ""))
    }
    if let dead = deadUnits {
      let outsized = outsizedDeadUnits.map { $0 > 0 ? " (\($0) with outsized filters)" : "" } ?? ""
      parts.append("dead units \(dead.count) of \(dead.of)" + outsized)
    }
    return parts.joined(separator: ", ")
  }

  /// The Euclidean norm of each row of `filters` [K, ...] (each filter over its channels and taps).
  static func rowNorms(_ filters: Tensor) -> [Double] {
    let k = filters.shape[0]
    let d = filters.count / max(1, k)
    return (0..<k).map { r in
      filters.scalars[(r * d)..<((r + 1) * d)].reduce(0) { $0 + Double($1) * Double($1) }
        .squareRoot()
    }
  }

  /// Mean |cos| over the K(K−1)/2 pairs of rows of `filters` [K, ...], by one product of the
  /// normalised rows with themselves. Rows of zeros count as orthogonal to everything.
  static func meanAbsoluteCosine(_ filters: Tensor) -> Double {
    let k = filters.shape[0]
    guard k >= 2 else { return 0 }
    let d = filters.count / k
    var rows = filters.scalars
    for (r, norm) in rowNorms(filters).enumerated() {
      let scale = norm > 0 ? Float(1 / norm) : 0
      for j in 0..<d { rows[r * d + j] *= scale }
    }
    var gram = [Float](repeating: 0, count: k * k)
    rows.withUnsafeBufferPointer { a in
      gram.withUnsafeMutableBufferPointer { c in
        BLAS.sgemm(
          .none, .transposed, m: k, n: k, k: d, alpha: 1, a: a.baseAddress!, lda: d,
          b: a.baseAddress!, ldb: d, beta: 0, c: c.baseAddress!, ldc: k)
      }
    }
    var total = 0.0
    for i in 0..<k { for j in (i + 1)..<k { total += Double(abs(gram[i * k + j])) } }
    return total / Double(k * (k - 1) / 2)
  }
}

private func format(_ x: Double) -> String {
  x == 0
    ? "0" : abs(x) >= 0.01 && abs(x) < 1000 ? String(format: "%.3f", x) : String(format: "%.3g", x)
}
