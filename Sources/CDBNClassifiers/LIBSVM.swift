// The one Swift file that sees LIBSVM (through CSVM). It trains, copies the support vectors and
// coefficients into Swift arrays and frees the C model at once; prediction then happens in Swift
// (KernelSVM), so no C type or pointer outlives a call.

internal import CSVM

enum LIBSVM {
  /// A trained C-SVC in LIBSVM's own layout (see `KernelSVM` for how prediction reads it).
  struct Trained {
    /// Class indices in LIBSVM's order (order of first appearance in the training data).
    var labelOrder: [Int]
    /// Support vectors [l, D], grouped by class in `labelOrder`.
    var supportVectors: [Float]
    var supportVectorCount: Int
    /// Support vectors per class, in `labelOrder`.
    var perClass: [Int]
    /// Dual coefficients [K − 1, l].
    var coefficients: [Double]
    /// Offsets of the K(K − 1)/2 one-vs-one decision functions.
    var rho: [Double]
    /// LIBSVM's own `svm_predict` on the probe rows, as class indices.
    var probePredictions: [Int]?
  }

  /// LIBSVM writes solver progress to stdout unless told otherwise; set once, before any call.
  /// (C-SVC without probability estimates uses no other global state and no `rand()`, so fits
  /// may run on several threads at once.)
  private static let silenced: Void = { cdbn_svm_silence() }()

  static func train(
    _ x: FeatureMatrix, classIndices y: [Int], classCount: Int, c: Double, gamma: Double,
    eps: Double, cacheMegabytes: Double, probe: FeatureMatrix? = nil
  ) throws -> Trained {
    _ = silenced
    let d = x.columns
    guard x.rows < Int(Int32.max), d < Int(Int32.max) else {
      throw ClassifierError.invalidInput(
        "LIBSVM takes at most 2^31 − 2 rows and features, got \(x.rows) × \(d)")
    }
    let rows = SparseRows(x, node: svm_node.init)
    var targets = y.map(Double.init)
    var param = svm_parameter()
    param.svm_type = Int32(C_SVC)
    param.kernel_type = Int32(RBF)
    param.degree = 3
    param.gamma = gamma
    param.coef0 = 0
    param.cache_size = cacheMegabytes
    param.eps = eps
    param.C = c
    param.nr_weight = 0
    param.weight_label = nil
    param.weight = nil
    param.nu = 0.5
    param.p = 0.1
    param.shrinking = 1
    param.probability = 0

    return try targets.withUnsafeMutableBufferPointer { targets throws -> Trained in
      var prob = svm_problem()
      prob.l = Int32(x.rows)
      prob.y = targets.baseAddress
      prob.x = rows.pointers
      if let message = svm_check_parameter(&prob, &param) {
        throw ClassifierError.invalidParameter("LIBSVM: \(String(cString: message))")
      }
      guard let trained = svm_train(&prob, &param) else {
        throw ClassifierError.trainingFailed("LIBSVM returned no model")
      }
      // The model's support vectors point into `rows`, which must outlive it.
      defer {
        var pointer: UnsafeMutablePointer<svm_model>? = trained
        svm_free_and_destroy_model(&pointer)
        withExtendedLifetime(rows) {}
      }
      let m = trained.pointee
      let k = Int(m.nr_class)
      guard k == classCount else {
        throw ClassifierError.trainingFailed("LIBSVM saw \(k) classes, expected \(classCount)")
      }
      let l = Int(m.l)
      let labelOrder = (0..<k).map { Int(m.label[$0]) }
      let perClass = (0..<k).map { Int(m.nSV[$0]) }
      var vectors = [Float](repeating: 0, count: l * d)
      for s in 0..<l {
        var node = m.SV[s]!
        while node.pointee.index != -1 {
          vectors[s * d + Int(node.pointee.index) - 1] = Float(node.pointee.value)
          node += 1
        }
      }
      var coefficients = [Double](repeating: 0, count: (k - 1) * l)
      for r in 0..<(k - 1) {
        for s in 0..<l { coefficients[r * l + s] = m.sv_coef[r]![s] }
      }
      let rho = (0..<(k * (k - 1) / 2)).map { m.rho[$0] }
      var probePredictions: [Int]? = nil
      if let probe {
        let probeRows = SparseRows(probe, node: svm_node.init)
        probePredictions = (0..<probe.rows).map {
          Int(svm_predict(trained, probeRows.pointers[$0]))
        }
        withExtendedLifetime(probeRows) {}
      }
      return Trained(
        labelOrder: labelOrder, supportVectors: vectors, supportVectorCount: l, perClass: perClass,
        coefficients: coefficients, rho: rho, probePredictions: probePredictions)
    }
  }
}
