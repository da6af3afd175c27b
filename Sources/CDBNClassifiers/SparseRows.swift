/// Rows in the sparse form LIBLINEAR and LIBSVM read: per row, (index ≥ 1, value) nodes without
/// the exact zeros, an optional bias node, and a terminating index −1; one allocation for all
/// nodes, freed on deinit. `Node` is the library's node struct, made by `node(index, value)`.
final class SparseRows<Node> {
  let nodes: UnsafeMutablePointer<Node>
  let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Node>?>

  init(_ x: FeatureMatrix, biasIndex: Int? = nil, node: (Int32, Double) -> Node) {
    let (n, d) = (x.rows, x.columns)
    let perRowExtra = biasIndex == nil ? 1 : 2
    let nonzero = x.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
    nodes = .allocate(capacity: nonzero + n * perRowExtra)
    pointers = .allocate(capacity: max(n, 1))
    var k = 0
    x.values.withUnsafeBufferPointer { v in
      for r in 0..<n {
        pointers[r] = nodes + k
        for j in 0..<d where v[r * d + j] != 0 {
          (nodes + k).initialize(to: node(Int32(j + 1), Double(v[r * d + j])))
          k += 1
        }
        if let biasIndex {
          (nodes + k).initialize(to: node(Int32(biasIndex), 1))
          k += 1
        }
        (nodes + k).initialize(to: node(-1, 0))
        k += 1
      }
    }
  }

  deinit {
    nodes.deallocate()
    pointers.deallocate()
  }
}
