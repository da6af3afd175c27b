/// An image file format this module decodes, told by the file's leading bytes.
public enum ImageFormat: String, Sendable, Equatable {
  case png
  case jpeg

  /// The format whose signature `bytes` starts with, or nil when neither matches.
  ///
  /// Magic bytes rather than the extension decide, so a text file named `x.png` is refused
  /// with a clear error instead of reaching the codec.
  public static func detect<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
    if bytes.starts(with: PNGCodec.signature) { return .png }
    if bytes.starts(with: JPEGCodec.signature) { return .jpeg }
    return nil
  }

  /// Whether a file name has an image extension this module reads (.png, .jpg, .jpeg, any case).
  public static func hasImageExtension(_ name: String) -> Bool {
    guard let dot = name.lastIndex(of: ".") else { return false }
    let ext = name[name.index(after: dot)...].lowercased()
    return ext == "png" || ext == "jpg" || ext == "jpeg"
  }
}
