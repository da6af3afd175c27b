import CDBNAudio
import CDBNModels
import CDBNNumerics
import CDBNStorage
import Foundation

/// `cdbn features` on audio: runs each utterance of a TIMIT folder or CSV corpus through a model
/// pretrained on audio (its stored spectrogram + PCA front end, then its layers) and writes, one
/// utterance at a time, either every frame or classifier-ready summaries.
///
/// Representations: `.layer(l)`, the pooled probabilities of layer l (0 = the whitened spectrogram
/// itself), and `.mfcc`, 13 cepstra + Δ + ΔΔ; several are joined side by side.
///
/// Layouts (HDF5, float32 features, written to a temporary file and renamed):
/// - `frames` (one representation): `/features` [F, C], every utterance's frames one after the
///   other, utterance u in rows `/offsets`[u] ..< `/offsets`[u + 1] (`/offsets` [U + 1] int64);
///   `/ids`, `/speakers`, `/labels` [U] are per utterance; attributes `frame_stride_seconds` and
///   `first_frame_centre_seconds` place the frames in time.
/// - `utterance`: one row per utterance, each representation's channel means over time then its
///   channel maxima (2·C values each); `/labels`, `/ids`, `/speakers` [N].
/// - `phones`: one row per TIMIT phone segment (`q` dropped), each representation's channel means
///   over the segment's three thirds and log(frames) (3·C + 1 values each); frames belong to a
///   segment when their centre lies in it. `/labels` [N] (39 folded phones by default),
///   `/ids` [N] ("DR1/FVMH0/SI836/12": utterance and line of the .phn file), `/speakers` [N],
///   `/segments` [N, 2] (start and end sample).
///
/// Every layout has `/label_names` [K] (the name of each label value) and root attributes `kind` =
/// "cdbn-features", `summary`, `representations` ("1,mfcc"), `label`, `model`, `data`.
public struct AudioFeatureExtractor {
  public typealias Representation = FeatureRepresentation

  public enum Summary: String, CaseIterable, Sendable {
    case frames, utterance, phones
  }

  public enum Label: String, CaseIterable, Sendable {
    /// TIMIT speaker folder or the CSV's speaker column.
    case speaker
    /// TIMIT: female, male.
    case gender
    /// The 39 folded TIMIT phones (phone summaries only).
    case phone
    /// The CSV corpus's label column.
    case label
  }

  public let modelPath: String
  public let checkpoint: ModelCheckpoint
  public let frontEnd: AudioFeatures
  public let representations: [Representation]
  public var summary: Summary = .utterance
  /// Nil: phone for phone summaries, else speaker for TIMIT and label for a CSV corpus.
  public var label: Label?
  public let mfcc: MFCC
  /// Rows gathered before each write.
  public var rowsPerWrite = 256
  /// The processes that share the utterances (one without `mpirun`).
  public var processes: any ProcessGroup = SingleProcess()

  /// Opens a model trained on audio; `representations` must exist in it.
  public init(modelPath: String, checkpoint: ModelCheckpoint, representations: [Representation])
    throws
  {
    guard let frontEnd = checkpoint.audioFrontEnd else {
      throw PipelineError(
        modelPath, "was not trained on audio (its /preprocessing has no spectrogram+pca front end)")
    }
    try FeatureRepresentation.check(
      representations, layers: checkpoint.model.layers.count, audio: true, modelPath: modelPath)
    self.modelPath = modelPath
    self.checkpoint = checkpoint
    self.frontEnd = frontEnd
    self.representations = representations
    mfcc = try MFCC(sampleRate: frontEnd.spectrogram.sampleRate)
  }

  /// Channels of one frame of `r`.
  func channels(_ r: Representation) -> Int {
    switch r {
    case .layer(0): return frontEnd.whitening.componentCount
    case .layer(let l): return checkpoint.model.layers[l - 1].outputChannels
    case .mfcc: return 3 * mfcc.coefficientCount
    }
  }

  /// Where the frames of `r` sit in the signal.
  func timing(_ r: Representation) -> FrameTiming {
    switch r {
    case .mfcc: return FrameTiming(mfcc.spectrogram)
    case .layer(let l):
      return checkpoint.model.layers.prefix(l).reduce(frontEnd.timing) {
        $0.after(filterWidth: $1.filters.shape[3], pooling: $1.pooling[1])
      }
    }
  }

  /// Frames of `r` for a signal of `samples` samples (0 when too short).
  func frameCount(_ r: Representation, samples: Int) -> Int {
    switch r {
    case .mfcc: return mfcc.spectrogram.frameCount(sampleCount: samples)
    case .layer(let l):
      var t = max(
        frontEnd.spectrogram.frameCount(sampleCount: samples), minimumFrames(depth: l))
      for layer in checkpoint.model.layers.prefix(l) {
        guard t > 0, let size = layer.outputSize(height: 1, width: t) else { return 0 }
        t = size.width
      }
      return t
    }
  }

  /// The layers among the representations (0: the whitened spectrogram).
  var layerDepths: [Int] {
    representations.compactMap { r -> Int? in
      if case .layer(let l) = r { return l }
      return nil
    }
  }

  /// The fewest whitened frames that give layer `depth` one output frame: shorter utterances are
  /// padded at the end with whitened zeros (the training corpus's mean log spectrum) up to it, so
  /// every utterance has features at every layer and its real frames keep their times.
  func minimumFrames(depth: Int) -> Int {
    checkpoint.model.layers.prefix(depth).reversed().reduce(1) { need, layer in
      (need - 1) * layer.pooling[1] + layer.filters.shape[3]
    }
  }

  /// Columns of one output row.
  public var rowLength: Int { blocks.reduce(0) { $0 + $1.count } }

  /// Each representation's columns in a row, in order (see `FeatureFile.Block`).
  var blocks: [FeatureFile.Block] {
    representations.map { r in
      let c = channels(r)
      let count =
        switch summary {
        case .frames: c
        case .utterance: 2 * c
        case .phones: 3 * c + 1
        }
      return FeatureFile.Block(name: r.description, count: count)
    }
  }

  /// Each representation of one utterance as a map [C, T], and whether its whitened map was padded
  /// (see `minimumFrames`). Errors name the utterance (`id`).
  func maps(_ signal: AudioSignal, id: String) throws -> (maps: [Tensor], padded: Bool) {
    let depths = layerDepths
    var layerMaps: [Int: Tensor] = [:]
    var padded = false
    if let deepest = depths.max() {
      var x = try PipelineError.naming(id) {
        // A signal shorter than one window gets one frame: the rest of the window is silence.
        var whole = signal
        let window = frontEnd.spectrogram.windowLength
        if whole.samples.count < window {
          whole.samples += [Float](repeating: 0, count: window - whole.samples.count)
          padded = true
        }
        return try frontEnd.tensor(whole)
      }
      let need = minimumFrames(depth: deepest)
      if x.shape[3] < need {
        x = Self.padded(x, frames: need)
        padded = true
      }
      let outputs = try PipelineError.naming(id) {
        try checkpoint.model.features(ofInput: x, depths: depths)
      }
      for (depth, output) in zip(depths, outputs) {
        layerMaps[depth] = output.reshaped([output.shape[1], output.shape[3]])
      }
    }
    return (
      try representations.map { r in
        let map: Tensor
        switch r {
        case .layer(let l): map = layerMaps[l]!
        case .mfcc:
          let frames = try mfcc.features(signal)
          map = Self.transposed(frames)
        }
        guard map.shape[1] > 0 else {
          throw PipelineError(
            id,
            "is too short for representation \(r): \(signal.samples.count) samples give no frame")
        }
        return map
      }, padded
    )
  }

  /// `x` [1, C, 1, T] with zero frames after its own, to `frames` frames.
  static func padded(_ x: Tensor, frames: Int) -> Tensor {
    let (c, t) = (x.shape[1], x.shape[3])
    var out = Tensor(zeros: [1, c, 1, frames])
    for ch in 0..<c {
      out.scalars.replaceSubrange(
        (ch * frames)..<(ch * frames + t), with: x.scalars[(ch * t)..<((ch + 1) * t)])
    }
    return out
  }

  /// [T, C] → [C, T].
  static func transposed(_ x: Tensor) -> Tensor {
    let (rows, columns) = (x.shape[0], x.shape[1])
    var out = [Float](repeating: 0, count: x.count)
    for i in 0..<rows {
      for j in 0..<columns { out[j * rows + i] = x.scalars[i * columns + j] }
    }
    return Tensor(shape: [columns, rows], scalars: out)
  }

  /// Extracts the features of `dataPath`'s utterances in `selection` into `outputPath`; returns the
  /// rows and columns written.
  @discardableResult
  public func run(
    dataPath: String, selection: AudioDataset.Selection = AudioDataset.Selection(),
    outputPath: String, reporter: ProgressReporter? = nil
  ) throws -> (rows: Int, columns: Int) {
    if summary == .frames && representations.count != 1 {
      throw PipelineError(
        dataPath,
        "per-frame maps take one representation (their frame rates differ); use --summary utterance or phones to join \(representations.map(\.description).joined(separator: ","))"
      )
    }
    let dataset = try PipelineError.naming(dataPath) {
      try AudioDataset(
        path: dataPath, selection: selection, sampleRate: frontEnd.spectrogram.sampleRate)
    }
    if let note = try PipelineError.naming(dataPath, { try dataset.resamplingNote() }) {
      reporter?.log(note)
    }
    let labelling = try AudioLabelling(
      dataset: dataset, kind: label ?? defaultLabel(dataset), summary: summary)
    // Row counts first, so the output is one fixed-size dataset written in order.
    var phones: [[(index: Int, segment: TimedLabel)]] = []
    var frameCounts: [Int] = []
    let rows: Int
    switch summary {
    case .utterance:
      rows = dataset.count
    case .phones:
      phones = try (0..<dataset.count).map { i in
        try PipelineError.naming(dataset.items[i].audioPath) {
          try dataset.phones(i).enumerated().filter { TIMITPhones.fold($0.element.label) != nil }
            .map { ($0.offset, $0.element) }
        }
      }
      rows = phones.reduce(0) { $0 + $1.count }
    case .frames:
      frameCounts = try (0..<dataset.count).map { i in
        frameCount(
          representations[0],
          samples: try PipelineError.naming(dataset.items[i].audioPath) {
            try dataset.sampleCount(i)
          })
      }
      rows = frameCounts.reduce(0, +)
    }
    guard rows > 0 else { throw PipelineError(dataPath, "the selection gives no rows") }
    let d = rowLength
    let timings = representations.map(timing)
    let started = Date()
    var seconds = 0.0
    var padded = 0
    // Rows each utterance gives, known before its audio is read.
    func rowCount(_ i: Int) -> Int {
      switch summary {
      case .utterance: 1
      case .phones: phones[i].count
      case .frames: frameCounts[i]
      }
    }
    // The feature rows of utterance i, flat.
    func rowValues(of i: Int) throws -> [Float] {
      let item = dataset.items[i]
      let signal = try PipelineError.naming(item.audioPath) { try dataset.signal(i) }
      seconds += signal.duration
      let (maps, wasPadded) = try maps(signal, id: item.id)
      if wasPadded { padded += 1 }
      switch summary {
      case .utterance:
        return try maps.flatMap { try FeatureSummary.meanAndMax($0) }
      case .phones:
        var out: [Float] = []
        for (_, segment) in phones[i] {
          for (map, timing) in zip(maps, timings) {
            let range = timing.frames(of: segment, frameCount: map.shape[1])
            out += try FeatureSummary.segment(map, frames: range)
          }
        }
        return out
      case .frames:
        guard maps[0].shape[1] == frameCounts[i] else {
          throw PipelineError(
            item.audioPath,
            "gave \(maps[0].shape[1]) frames where its header promised \(frameCounts[i])")
        }
        return Self.transposed(maps[0]).scalars
      }
    }
    // Under `mpirun`, utterances go round the processes one each; rank 0 gathers each round's
    // rows, in utterance order, and alone writes.
    func extract(into writer: inout FeatureFile.Writer?) throws {
      var first = 0
      var buffer: [Float] = []
      while first < dataset.count {
        try Interruption.check(
          outputPath, across: processes, "it was not written; run the command again")
        let round = first..<min(dataset.count, first + processes.size)
        let counts = (0..<processes.size).map { r in
          round.contains(first + r) ? rowCount(first + r) * d : 0
        }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: counts.reduce(0, +)))
        let mine = first + processes.rank
        if round.contains(mine) {
          let offset = counts[..<processes.rank].reduce(0, +)
          buffer.replaceSubrange(
            offset..<(offset + counts[processes.rank]), with: try rowValues(of: mine))
        }
        try processes.gatherToLeader(&buffer, counts: counts)
        try writer?.append(buffer)
        first = round.upperBound
        reporter?.status(
          "features: \(first)/\(dataset.count) utterances, \(String(format: "%.0f", seconds / Date().timeIntervalSince(started))) s of audio/s"
        )
      }
      var total = [Int64(padded)]
      try processes.allReduceSum(&total)
      padded = Int(total[0])
    }
    guard processes.isLeader else {
      var none: FeatureFile.Writer? = nil
      try extract(into: &none)
      return (rows, d)
    }
    try PipelineError.naming(outputPath) {
      try HDF5File.atomicWrite(to: outputPath) { file in
        var writer: FeatureFile.Writer? = try FeatureFile.Writer(
          root: file.root, rows: rows, rowShape: [d], rowsPerWrite: rowsPerWrite, blocks: blocks)
        let root = file.root
        try root.setAttribute("summary", summary.rawValue)
        try root.setAttribute(
          "representations", representations.map(\.description).joined(separator: ","))
        try root.setAttribute("label", labelling.kind.rawValue)
        try root.setAttribute("model", modelPath)
        try root.setAttribute("data", dataPath)
        try root.setAttribute("world_size", processes.size)
        if summary == .frames {
          let t = timings[0]
          let rate = Double(frontEnd.spectrogram.sampleRate)
          try root.setAttribute("frame_stride_seconds", t.stride / rate)
          try root.setAttribute("first_frame_centre_seconds", t.firstCentre / rate)
        }
        try extract(into: &writer)
        // Labels, ids and segments need no audio.
        var labels: [Int] = []
        var ids: [String] = []
        var speakers: [String] = []
        var segments: [Int] = []
        for (i, item) in dataset.items.enumerated() {
          if summary == .phones {
            for (line, segment) in phones[i] {
              labels.append(try labelling.value(of: item, phone: segment.label))
              ids.append("\(item.id)/\(line)")
              speakers.append(item.speaker ?? "")
              segments += [segment.start, segment.end]
            }
          } else {
            labels.append(try labelling.value(of: item, phone: nil))
            ids.append(item.id)
            speakers.append(item.speaker ?? "")
          }
        }
        try writer?.finish(
          labels: labels, labelNames: labelling.names, ids: ids,
          speakers: dataset.items.allSatisfy({ $0.speaker != nil }) ? speakers : nil)
        try root.setAttribute("padded_utterances", padded)
        if summary == .phones {
          try root.writeInts("segments", shape: [rows, 2], segments)
        }
        if summary == .frames {
          var offsets = [0]
          for count in frameCounts { offsets.append(offsets[offsets.count - 1] + count) }
          try root.writeInts("offsets", shape: [offsets.count], offsets)
        }
      }
    }
    if padded > 0, let deepest = layerDepths.max() {
      reporter?.log(
        "features: \(padded) utterance(s) shorter than the \(minimumFrames(depth: deepest)) frames layer \(deepest) needs were padded at the end with the corpus's mean frame"
      )
    }
    reporter?.log(
      String(
        format: "features: %d utterance(s), %.1f s of audio in %.1f s → %d rows × %d",
        dataset.count, seconds, Date().timeIntervalSince(started), rows, d))
    return (rows, d)
  }

  func defaultLabel(_ dataset: AudioDataset) -> Label {
    if summary == .phones { return .phone }
    return dataset.isTIMIT || dataset.items.allSatisfy({ $0.label == nil }) ? .speaker : .label
  }
}
