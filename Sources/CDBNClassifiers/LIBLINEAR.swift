// The one Swift file that sees LIBLINEAR (through CLinear). It trains, copies the weights into
// Swift arrays and frees the C model at once; prediction then happens in Swift (LinearSVM), so no
// C type or pointer outlives a call.

internal import CLinear
import Synchronization

enum LIBLINEAR {
  /// Weights in class-index order (row c is class c), whatever order LIBLINEAR used internally.
  struct Trained {
    var weights: [Float]  // [classes, D]
    var bias: [Float]  // [classes]
    /// LIBLINEAR's own `predict` on the probe rows, as class indices (tests compare it with Swift's).
    var probePredictions: [Int]?
  }

  /// LIBLINEAR writes solver progress to stdout unless told otherwise; set once, before any call.
  private static let silenced: Void = { cdbn_linear_silence() }()

  /// The dual coordinate-descent solver shuffles with the C library's global `rand()`, which
  /// LIBLINEAR never seeds. Training under this lock after `srand(1)` makes every fit use the same
  /// sequence, whatever ran before and on whichever thread: same data, same weights.
  private static let randLock = Mutex(())

  /// Trains LIBLINEAR's L2-regularised L2-loss SVM (dual) one-vs-rest on `x` with class indices
  /// `y` in 0..<classCount; with `bias` an extra constant feature 1 whose weight is the bias.
  static func train(
    _ x: FeatureMatrix, classIndices y: [Int], classCount: Int, c: Double, eps: Double,
    bias: Bool, probe: FeatureMatrix? = nil
  ) throws -> Trained {
    _ = silenced
    let d = x.columns
    guard x.rows < Int(Int32.max), d + 1 < Int(Int32.max) else {
      throw ClassifierError.invalidInput(
        "LIBLINEAR takes at most 2^31 − 2 rows and features, got \(x.rows) × \(d)")
    }
    let rows = SparseRows(x, biasIndex: bias ? d + 1 : nil, node: feature_node.init)
    var targets = y.map(Double.init)
    var param = parameter()
    param.solver_type = Int32(L2R_L2LOSS_SVC_DUAL)
    param.eps = eps
    param.C = c
    param.nr_weight = 0
    param.weight_label = nil
    param.weight = nil
    param.p = 0.1
    param.init_sol = nil

    return try targets.withUnsafeMutableBufferPointer { targets throws -> Trained in
      var prob = problem()
      prob.l = Int32(x.rows)
      prob.n = Int32(bias ? d + 1 : d)
      prob.y = targets.baseAddress
      prob.x = rows.pointers
      prob.bias = bias ? 1 : -1
      if let message = check_parameter(&prob, &param) {
        throw ClassifierError.invalidParameter("LIBLINEAR: \(String(cString: message))")
      }
      var trained: UnsafeMutablePointer<CLinear.model>? = nil
      randLock.withLock { _ in
        srand(1)
        trained = CLinear.train(&prob, &param)
      }
      guard let model = trained else {
        throw ClassifierError.trainingFailed("LIBLINEAR returned no model")
      }
      defer {
        var pointer: UnsafeMutablePointer<CLinear.model>? = model
        free_and_destroy_model(&pointer)
      }

      // LIBLINEAR numbers classes in order of first appearance; map its slots back to ours.
      let count = Int(get_nr_class(model))
      guard count == classCount else {
        throw ClassifierError.trainingFailed(
          "LIBLINEAR saw \(count) classes, expected \(classCount)")
      }
      var labels = [Int32](repeating: 0, count: count)
      get_labels(model, &labels)
      // get_decfun_coef / get_decfun_bias hide the layout of `w` (feature-major, one column per
      // class, or a single column for two classes with the second class's weights its negation).
      var weights = [Float](repeating: 0, count: count * d)
      var biases = [Float](repeating: 0, count: count)
      for (slot, label) in labels.enumerated() {
        let cls = Int(label)
        for f in 0..<d {
          weights[cls * d + f] = Float(get_decfun_coef(model, Int32(f + 1), Int32(slot)))
        }
        biases[cls] = bias ? Float(get_decfun_bias(model, Int32(slot))) : 0
      }
      var probePredictions: [Int]? = nil
      if let probe {
        let probeRows = SparseRows(probe, biasIndex: bias ? d + 1 : nil, node: feature_node.init)
        probePredictions = (0..<probe.rows).map {
          Int(CLinear.predict(model, probeRows.pointers[$0]))
        }
        withExtendedLifetime(probeRows) {}
      }
      withExtendedLifetime(rows) {}
      return Trained(weights: weights, bias: biases, probePredictions: probePredictions)
    }
  }
}
