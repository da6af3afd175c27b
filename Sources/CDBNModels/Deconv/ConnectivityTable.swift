import CDBNNumerics

/// Which input maps each feature map of a deconvolutional layer reconstructs: g[k, c] ∈ {0, 1}.
/// Applied as a mask on the filters [K, C, fh, fw] (the planes of unconnected pairs stay zero), so
/// the dense convolution serves every table.
public struct ConnectivityTable: Sendable, Equatable {
  public let maps: Int
  public let channels: Int
  /// g[k·channels + c].
  public let connected: [Bool]

  /// A table from its entries; every feature map must reach at least one input map.
  public init(maps: Int, channels: Int, connected: [Bool]) throws {
    guard maps > 0, channels > 0, connected.count == maps * channels else {
      throw ModelError.invalidConfiguration(
        "connectivity needs \(maps)×\(channels) entries, got \(connected.count)")
    }
    for k in 0..<maps where !connected[(k * channels)..<((k + 1) * channels)].contains(true) {
      throw ModelError.invalidConfiguration("connectivity: feature map \(k) reaches no input map")
    }
    self.maps = maps
    self.channels = channels
    self.connected = connected
  }

  /// Every feature map reconstructs every input map.
  public static func full(maps: Int, channels: Int) throws -> ConnectivityTable {
    try ConnectivityTable(
      maps: maps, channels: channels, connected: [Bool](repeating: true, count: maps * channels))
  }

  /// Each feature map reconstructs `fanIn` distinct input maps drawn at random from `seed`.
  public static func random(maps: Int, channels: Int, fanIn: Int, seed: UInt64) throws
    -> ConnectivityTable
  {
    guard fanIn >= 1, fanIn <= channels else {
      throw ModelError.invalidConfiguration(
        "connectivity fan_in must be in 1...\(channels) (the input maps), got \(fanIn)")
    }
    var rng = RandomStream(seed: seed, stream: 0xC077)
    var g = [Bool](repeating: false, count: maps * channels)
    for k in 0..<maps {
      for c in rng.permutation(channels).prefix(fanIn) { g[k * channels + c] = true }
    }
    return try ConnectivityTable(maps: maps, channels: channels, connected: g)
  }

  public func isConnected(map k: Int, channel c: Int) -> Bool { connected[k * channels + c] }

  public var isFull: Bool { !connected.contains(false) }

  /// Input maps per feature map, when every feature map has the same number.
  public var fanIn: Int? {
    let counts = (0..<maps).map { k in
      connected[(k * channels)..<((k + 1) * channels)].filter { $0 }.count
    }
    return Set(counts).count == 1 ? counts[0] : nil
  }
}
