/// An input file or folder that cannot be read as a data set.
///
/// Bad input is expected (truncated downloads, wrong files, headers that lie), so every reader in
/// this module reports it with this error instead of trapping. The description always starts with
/// the path, so a message in a log says which file to look at.
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
  /// What went wrong, for code that wants to react to one kind of failure.
  public enum Kind: String, Sendable, Equatable {
    /// The path does not exist or cannot be opened.
    case unreadable
    /// The file ends before the data its header or format promises.
    case truncated
    /// The file does not start with the magic number of the expected format.
    case badMagic
    /// A header is inconsistent with itself or with the amount of data that follows.
    case badHeader
    /// The file, or an image in it, is larger than the limit this reader accepts.
    case tooLarge
    /// A value is not a number, is NaN or infinite, or lies outside its allowed range.
    case badValue
    /// Rows, columns or image sizes do not agree.
    case badShape
    /// The file is of a kind this module does not read.
    case unsupportedFormat
    /// A codec (zlib, libpng, libjpeg) rejected the data.
    case decodeFailed
    /// A file could not be written.
    case writeFailed
    /// The caller asked for something out of range (an index, a negative limit).
    case invalidArgument
  }

  /// What went wrong.
  public let kind: Kind
  /// The file or folder concerned.
  public let path: String
  /// A human-readable account of the problem, without the path.
  public let message: String

  /// An error of `kind` about `path`.
  public init(_ kind: Kind, path: String, _ message: String) {
    self.kind = kind
    self.path = path
    self.message = message
  }

  public var description: String { "\(path): \(message)" }
}
