import CDBNDatasets
import Foundation
import Testing

@testable import CDBNAudio

/// The TIMIT sample embedded in Data/timit-sample (NLTK's, real NIST SPHERE files); read in place.
enum SharedData {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data").path
  static let timit = root + "/timit-sample"
  /// "She had your dark suit in greasy wash water all year." 51610 samples.
  static let sa1 = timit + "/dr3-falk0/sa1.wav"
  static let sa1Phones = timit + "/dr3-falk0/sa1.phn"
  static let sa1Words = timit + "/dr3-falk0/sa1.wrd"
}

/// Runs `body`, requires a DatasetError of `kind` whose description names `path` (and contains
/// `mentioning` when given), and returns it.
@discardableResult
func expectDatasetError(
  _ kind: DatasetError.Kind, path: String, mentioning: String? = nil,
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> DatasetError? {
  do {
    try body()
    Issue.record(
      "expected a DatasetError.\(kind) about \(path), got success", sourceLocation: sourceLocation)
    return nil
  } catch let error as DatasetError {
    #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    #expect(error.description.contains(path), "\(error)", sourceLocation: sourceLocation)
    if let mentioning {
      #expect(error.description.contains(mentioning), "\(error)", sourceLocation: sourceLocation)
    }
    return error
  } catch {
    Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Hand-made audio files.
enum AudioFixtures {
  /// A RIFF WAVE file of 16-bit PCM, mono.
  static func wav(_ samples: [Int16], sampleRate: Int) -> [UInt8] {
    let dataBytes = samples.count * 2
    var out: [UInt8] = Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8)
    out +=
      Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(sampleRate)
      + le32(sampleRate * 2) + le16(2) + le16(16)
    out += Array("data".utf8) + le32(dataBytes)
    for s in samples { out += le16(Int(UInt16(bitPattern: s))) }
    return out
  }

  /// A 1024-byte NIST SPHERE header with the given fields (TIMIT's layout), then `samples`.
  static func sphere(
    sampleCount: Int, samples: [Int16], sampleRate: Int = 16000, coding: String? = nil
  ) -> [UInt8] {
    var text = "NIST_1A\n   1024\n"
    text += "channel_count -i 1\nsample_count -i \(sampleCount)\nsample_rate -i \(sampleRate)\n"
    text += "sample_n_bytes -i 2\nsample_byte_format -s2 01\nsample_sig_bits -i 16\n"
    if let coding { text += "sample_coding -s\(coding.utf8.count) \(coding)\n" }
    text += "end_head\n"
    var header = Array(text.utf8)
    header += [UInt8](repeating: 32, count: 1024 - header.count)
    return header + samples.flatMap { le16(Int(UInt16(bitPattern: $0))) }
  }

  static func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5)
    -> [Int16]
  {
    (0..<count).map {
      Int16(
        (amplitude * 32767 * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate)))
          .rounded())
    }
  }

  static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
  static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16((v >> 16) & 0xFFFF) }
}
