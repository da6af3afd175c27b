import Foundation

/// What `cdbn features --layer` names, for pictures and audio alike: `.layer(l)`, the output of
/// layer l (0 = the front end's output), and, for models pretrained on audio, `.mfcc` (13 cepstra
/// + Δ + ΔΔ). Several are joined side by side.
public enum FeatureRepresentation: Equatable, CustomStringConvertible, Sendable {
  case layer(Int)
  case mfcc

  public var description: String {
    switch self {
    case .layer(let l): return "\(l)"
    case .mfcc: return "mfcc"
    }
  }

  /// "1", "2", "0", "mfcc", "1,mfcc": nil when a part is neither a number nor "mfcc" or repeats.
  public static func list(_ text: String) -> [FeatureRepresentation]? {
    let parts = text.split(separator: ",").map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    }
    var out: [FeatureRepresentation] = []
    for part in parts {
      if part == "mfcc" {
        out.append(.mfcc)
      } else if let l = Int(part) {
        out.append(.layer(l))
      } else {
        return nil
      }
    }
    return out.isEmpty || out.count != Set(out.map(\.description)).count ? nil : out
  }
}

extension FeatureRepresentation {
  /// Throws unless `representations` are distinct, exist in a model of `layers` layers, and (for a
  /// model that does not take audio) name no MFCCs.
  static func check(
    _ representations: [FeatureRepresentation], layers count: Int, audio: Bool, modelPath: String
  ) throws {
    let named = audio ? "1, 2, 0 or mfcc" : "1, 2 or 0"
    guard !representations.isEmpty else {
      throw PipelineError(modelPath, "no layer asked for (--layer \(named))")
    }
    guard Set(representations.map(\.description)).count == representations.count else {
      throw PipelineError(
        modelPath, "--layer needs distinct layers, got \(representations.map(\.description))")
    }
    for case .layer(let l) in representations where l < 0 || l > count {
      throw PipelineError(
        modelPath,
        "has \(count) layer(s); --layer must be in 0...\(count) (0 is the front end's output)\(audio ? ", or mfcc" : ""), got \(l)"
      )
    }
    if !audio, representations.contains(.mfcc) {
      throw PipelineError(modelPath, "--layer mfcc needs a model pretrained on audio")
    }
  }
}
