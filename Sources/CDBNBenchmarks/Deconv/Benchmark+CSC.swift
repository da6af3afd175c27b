import CDBNAudio
import CDBNDatasets
import CDBNModels
import CDBNNumerics
import CDBNStorage
import Foundation

extension Benchmark {
  /// One convolutional sparse coding problem: ½‖A z − y‖² + λ Σ|z| for fixed filters.
  struct CSCProblem {
    var name: String
    var description: String
    /// [C, H, W].
    var input: Tensor
    /// [K, C, fh, fw], unit-norm.
    var filters: Tensor
    var lambda: Float
  }

  /// An objective-against-time trace of a solver, time without the objective's evaluation.
  struct CSCTrace {
    var seconds: [Double] = []
    var objective: [Double] = []

    var best: Double { objective.min() ?? .infinity }

    /// The first time (and iteration, 1-based) at which the objective is at or below `target`.
    func reaching(_ target: Double) -> (seconds: Double, iterations: Int)? {
      objective.firstIndex { $0 <= target }.map { (seconds[$0], $0 + 1) }
    }
  }

  /// `cdbn bench --only csc`: the plain ℓ1 convolutional sparse coding problem behind the
  /// deconvolutional layer at p = 1, solved by `ConvolutionalBPDN` (FISTA with restarts) on a
  /// 256×256 whitened photograph (32 filters 8×8) and a TIMIT utterance's 80-channel whitened
  /// spectrogram (64 filters 80×1×6). Filters are unit-norm patches of the input itself at seeded
  /// places. The time to an objective within 1e-3 (relative) of the best is printed; with
  /// `cscOutput` the problems and the traces are written for `Experiments/csc/compare.sh`, and with
  /// `sporcoTraces` (that script's SPORCO results) the target is the better of the two solvers'
  /// best and both times are printed.
  static func runCSC(
    cscOutput: String?, sporcoTraces: String?, print emit: (String) -> Void
  ) throws {
    let needed = [cscImagePath, cscSpeechFolder]
    if let missing = needed.first(where: { !FileManager.default.fileExists(atPath: $0) }),
      cscOutput == nil, sporcoTraces == nil
    {
      emit("CSC: skipped, \(missing) not found (run from the repository root)")
      return
    }
    let problems = try [cscImageProblem(), cscSpectrogramProblem()]
    var traces: [CSCTrace] = []
    var maps: [[Float]] = []
    for p in problems {
      let (trace, z, csc) = try solveCSC(p, maxIterations: 1000)
      traces.append(trace)
      maps.append(z)
      let nonzero = Double(z.filter { $0 != 0 }.count) / Double(max(1, z.count))
      var line = String(
        format:
          "CSC %@: FISTA best %.6g after %d iterations (%.1f ms each), %.1f %% of the maps nonzero",
        p.description, trace.best, trace.objective.count,
        1000 * (trace.seconds.last ?? 0) / Double(max(1, trace.objective.count)), 100 * nonzero)
      let ownTarget = trace.best * (1 + 1e-3)
      if let own = trace.reaching(ownTarget) {
        line += String(
          format: "; within 1e-3 of it in %.2f s (%d iterations)", own.seconds, own.iterations)
      }
      emit(line)
      emit(try continuationLine(p, csc: csc, trace: trace))
      if let sporcoTraces {
        let sporco = try readTrace(sporcoTraces, problem: p.name)
        let target = min(trace.best, sporco.best) * (1 + 1e-3)
        let mine = trace.reaching(target)
        let theirs = sporco.reaching(target)
        emit(
          "  vs SPORCO (\(sporcoTraces)): best \(String(format: "%.6g", sporco.best)); target \(String(format: "%.6g", target)): cdbn "
            + (mine.map { String(format: "%.2f s (%d it.)", $0.seconds, $0.iterations) }
              ?? "not reached")
            + ", SPORCO "
            + (theirs.map { String(format: "%.2f s (%d it.)", $0.seconds, $0.iterations) }
              ?? "not reached")
            + speedUp(mine?.seconds, theirs?.seconds))
      }
    }
    if let cscOutput {
      try HDF5File.atomicWrite(to: cscOutput) { file in
        for (i, p) in problems.enumerated() {
          let g = try file.root.createGroup(p.name)
          try g.setAttribute("description", p.description)
          try g.setAttribute("lambda", Double(p.lambda))
          try g.writeFloats("input", shape: p.input.shape, p.input.scalars)
          try g.writeFloats("filters", shape: p.filters.shape, p.filters.scalars)
          let (fh, fw) = (p.filters.shape[2], p.filters.shape[3])
          try g.writeFloats(
            "maps",
            shape: [p.filters.shape[0], p.input.shape[1] + fh - 1, p.input.shape[2] + fw - 1],
            maps[i])
          try g.writeDoubles("seconds", shape: [traces[i].seconds.count], traces[i].seconds)
          try g.writeDoubles("objective", shape: [traces[i].objective.count], traces[i].objective)
        }
      }
      emit("CSC problems and cdbn's traces written to \(cscOutput)")
    }
  }

  /// ", cdbn N× faster" when both reached the target.
  static func speedUp(_ mine: Double?, _ theirs: Double?) -> String {
    guard let mine, let theirs, mine > 0 else { return "" }
    return String(format: ", cdbn %.1f× faster", theirs / mine)
  }

  /// FISTA from zero maps until the objective gains less than 1e-7 (relative) over 50 iterations or
  /// `maxIterations` pass; the clock stops while the objective is evaluated.
  static func solveCSC(_ p: CSCProblem, maxIterations: Int) throws -> (
    CSCTrace, [Float], ConvolutionalBPDN
  ) {
    let (h, w) = (p.input.shape[1], p.input.shape[2])
    let csc = try ConvolutionalBPDN(filters: p.filters, lambda: p.lambda, height: h, width: w)
    var z = [Float](repeating: 0, count: csc.mapSize)
    var trace = CSCTrace()
    var solving = 0.0
    var resumed = Date()
    p.input.scalars.withUnsafeBufferPointer { yp in
      z.withUnsafeMutableBufferPointer { zp in
        let (y, maps) = (yp.baseAddress!, zp.baseAddress!)
        csc.solve(y, maps: maps, iterations: maxIterations) { _ in
          solving += Date().timeIntervalSince(resumed)
          trace.seconds.append(solving)
          trace.objective.append(csc.objective(y, maps: maps))
          resumed = Date()
          let t = trace.objective.count
          return t <= 100
            || trace.objective[t - 51] - trace.objective[t - 1] >= 1e-7 * trace.objective[t - 1]
        }
      }
    }
    return (trace, z, csc)
  }

  /// The deconvolutional layer's own inference on the problem: Zeiler's continuation (its default
  /// 6 β steps of a shrinkage and 5 CG iterations) on (λ′/2)‖A z − y‖² + Σ|z|, λ′ = 1/λ, the same
  /// minimiser; scored by `csc` and timed once, beside FISTA's objective after as long.
  static func continuationLine(_ p: CSCProblem, csc: ConvolutionalBPDN, trace: CSCTrace) throws
    -> String
  {
    var inference = DeconvInference()
    inference.lambda = 1 / p.lambda
    let layer = try DeconvLayer(
      filters: p.filters,
      connectivity: try .full(maps: p.filters.shape[0], channels: p.filters.shape[1]),
      inference: inference, pooling: .none, poolHeight: 1, poolWidth: 1)
    let y = p.input.reshaped([1] + p.input.shape)
    let start = Date()
    let z = try layer.inferMaps(y)
    let seconds = Date().timeIntervalSince(start)
    let reached = y.scalars.withUnsafeBufferPointer { yp in
      z.scalars.withUnsafeBufferPointer { csc.objective(yp.baseAddress!, maps: $0.baseAddress!) }
    }
    let nonzero = Double(z.scalars.filter { $0 != 0 }.count) / Double(max(1, z.count))
    let sameTime = trace.seconds.lastIndex { $0 <= seconds }.map { trace.objective[$0] }
    return String(
      format:
        "  DeconvNet's continuation (6 β steps × 5 CG, its λ = 1/%g): objective %.6g (%+.1f %% of FISTA's best) in %.2f s, %.1f %% of the maps nonzero; FISTA after as long: %@",
      p.lambda, reached, 100 * (reached / trace.best - 1), seconds, 100 * nonzero,
      sameTime.map { String(format: "%.6g (%+.1f %%)", $0, 100 * ($0 / trace.best - 1)) }
        ?? "not one iteration")
  }
}

extension Benchmark {
  static let cscImagePath = "Data/natural-images/camera.png"
  static let cscSpeechFolder = "Data/timit-sample"

  /// The centre 256×256 of `Data/natural-images/camera.png`, 1/f-whitened (cutoff 0.4) to unit
  /// variance; 32 filters 8×8 cut from it; λ = 0.5.
  static func cscImageProblem(path: String = cscImagePath) throws -> CSCProblem {
    guard FileManager.default.fileExists(atPath: path) else {
      throw Failure(description: "csc: \(path) not found (run from the repository root)")
    }
    let picture = try DecodedImage(path: path).grayscale()
    let side = 256
    guard picture.width >= side, picture.height >= side else {
      throw Failure(description: "csc: \(path) is smaller than \(side)×\(side)")
    }
    let (top, left) = ((picture.height - side) / 2, (picture.width - side) / 2)
    var crop = Tensor(zeros: [1, 1, side, side])
    for i in 0..<side {
      for j in 0..<side {
        crop.scalars[i * side + j] = picture.pixels[(top + i) * picture.width + left + j]
      }
    }
    let whitened = Preprocessing(whitenCutoff: 0.4, unitVariance: true).apply(crop)
      .reshaped([1, side, side])
    return CSCProblem(
      name: "image", description: "image 256x256 K=32 8x8 λ=0.5", input: whitened,
      filters: cutFilters(from: whitened, count: 32, height: 8, width: 8, centred: true),
      lambda: 0.5)
  }

  /// `dr1-fvmh0/sa1.wav` of the TIMIT sample through the paper's front end (log spectrogram,
  /// PCA-whitened to 80 components fitted on the sample's utterances); 64 filters 80×1×6 cut from
  /// it; λ = 0.5.
  static func cscSpectrogramProblem(folder: String = cscSpeechFolder) throws -> CSCProblem {
    let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
      .filter { $0.hasSuffix(".wav") }.sorted().map { folder + "/" + $0 }
    guard let utterance = files.first(where: { $0.hasSuffix("dr1-fvmh0/sa1.wav") }) else {
      throw Failure(
        description: "csc: \(folder)/dr1-fvmh0/sa1.wav not found (run from the repository root)")
    }
    let spectrogram = try Spectrogram(sampleRate: 16000)
    let frontEnd = try AudioFeatures.fit(
      spectrogram: spectrogram, signalCount: files.count,
      signal: { try AudioFile.read(path: files[$0], sampleRate: 16000) })
    let x = try frontEnd.tensor(AudioFile.read(path: utterance, sampleRate: 16000))
    let input = x.reshaped(Array(x.shape.dropFirst()))
    return CSCProblem(
      name: "spectrogram",
      description: "spectrogram 80x1x\(input.shape[2]) K=64 80x1x6 λ=0.5", input: input,
      filters: cutFilters(from: input, count: 64, height: 1, width: 6, centred: false),
      lambda: 0.5)
  }

  /// `count` unit-norm windows of `input` [C, H, W] at seeded places (zero-mean per window when
  /// `centred`), as [count, C, height, width].
  static func cutFilters(from input: Tensor, count: Int, height: Int, width: Int, centred: Bool)
    -> Tensor
  {
    let (c, h, w) = (input.shape[0], input.shape[1], input.shape[2])
    var rng = RandomStream(seed: 7, stream: 0xC5C)
    let size = c * height * width
    var filters = Tensor(zeros: [count, c, height, width])
    for k in 0..<count {
      let top = Int(rng.nextFloat() * Float(h - height + 1)) % (h - height + 1)
      let left = Int(rng.nextFloat() * Float(w - width + 1)) % (w - width + 1)
      var window = [Float](repeating: 0, count: size)
      for ch in 0..<c {
        for a in 0..<height {
          for b in 0..<width {
            window[(ch * height + a) * width + b] = input.scalars[(ch * h + top + a) * w + left + b]
          }
        }
      }
      if centred {
        let mean = window.reduce(0, +) / Float(size)
        window = window.map { $0 - mean }
      }
      let norm = max(1e-12, window.reduce(0) { $0 + $1 * $1 }.squareRoot())
      filters.scalars.replaceSubrange((k * size)..<((k + 1) * size), with: window.map { $0 / norm })
    }
    return filters
  }

  /// A solver's trace for `problem` from a file written by `Experiments/csc/run_sporco.py`.
  static func readTrace(_ path: String, problem: String) throws -> CSCTrace {
    let file = try HDF5File(path: path, mode: .readOnly)
    defer { file.close() }
    guard file.root.isGroup(problem) else {
      throw Failure(
        description: "\(path): no /\(problem) group (made by Experiments/csc/run_sporco.py)")
    }
    let g = try file.root.openGroup(problem)
    let trace = CSCTrace(
      seconds: try g.readDoubles("seconds").values, objective: try g.readDoubles("objective").values
    )
    guard trace.seconds.count == trace.objective.count, !trace.seconds.isEmpty else {
      throw Failure(description: "\(path): /\(problem) has no trace or traces of different lengths")
    }
    return trace
  }
}
