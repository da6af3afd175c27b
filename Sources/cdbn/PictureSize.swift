import ArgumentParser
import Foundation

/// `H,W` (or one number for a square) for `--size` and `--crop`.
struct PictureSize: ExpressibleByArgument {
  let height: Int
  let width: Int

  init?(argument: String) {
    let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard (1...2).contains(parts.count), let h = parts.first ?? nil, let w = parts.last ?? nil,
      (1...16384).contains(h), (1...16384).contains(w)
    else { return nil }
    (height, width) = (h, w)
  }
}
