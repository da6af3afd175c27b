/// An error of a pipeline step, naming the file (or config) it concerns and what is wrong.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
  public let path: String
  public let message: String

  public init(_ path: String, _ message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { path.isEmpty ? message : "\(path): \(message)" }

  /// Runs `body`, re-labelling any error it throws with `path` unless it already names a file.
  static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let e as PipelineError {
      throw e
    } catch let e as CustomStringConvertible where "\(e)".hasPrefix(path) {
      throw PipelineError("", "\(e)")
    } catch {
      throw PipelineError(path, "\(error)")
    }
  }
}
