/// Disjoint sets over `0..<count`, for grouping components and glyph boxes that touch: `root`
/// halves the path it walks, `union` keeps the smaller root, so a set is named by its smallest
/// member whatever order the pairs came in.
struct UnionFind {
    private var parent: [Int]

    init(count: Int) { parent = Array(0..<count) }

    /// Adds one more element, `count` before the call, in a set of its own.
    mutating func append() { parent.append(parent.count) }

    mutating func root(_ element: Int) -> Int {
        var i = element
        while parent[i] != i {
            parent[i] = parent[parent[i]]
            i = parent[i]
        }
        return i
    }

    mutating func union(_ a: Int, _ b: Int) {
        let ra = root(a), rb = root(b)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}
