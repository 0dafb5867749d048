/// Splitting an input into glyphs, left to right (multi-digit numbers).
///
/// Images: 8-connected components of the ink mask; specks are dropped; components that
/// overlap horizontally by more than half of the narrower one are merged (a "5" drawn in two
/// strokes, the dot of an "i"). Strokes: strokes whose horizontal extents overlap, transitively.
public enum Segmentation {
    public static let maxGlyphs = 32
    /// More candidate components than this is refused before the pairwise merge, which would
    /// otherwise be quadratic in an adversarial image of isolated dots.
    public static let maxComponents = 4096
    /// A component is a speck when its box's longer side is below this fraction of the tallest
    /// component's height AND its pixel count is below `speckAreaFraction` of the largest
    /// component's; both must hold, so a thin but long stroke piece is kept.
    public static let speckSizeFraction = 0.08
    public static let speckAreaFraction = 0.01

    /// Labels of an ink mask: `labels[i]` is 0 for background or the 1-based component index.
    public struct ComponentMap: Sendable {
        public let width: Int
        public let height: Int
        public let labels: [Int32]
        /// `components[label - 1]`
        public let components: [Component]
    }

    public struct Component: Equatable, Sendable {
        public var box: PixelBox
        public var pixelCount: Int
    }

    /// A glyph: its box and the component labels (see `ComponentMap`) it consists of.
    public struct Region: Equatable, Sendable {
        public var box: PixelBox
        public var labels: [Int32]

        /// Whether a pixel's label is one of this region's, as a table over the span of its
        /// labels: the crops ask it of every pixel of the region's box, where hashing cost more
        /// than the copying.
        public var members: LabelSet { LabelSet(labels) }
    }

    public struct LabelSet {
        private let first: Int32
        private let table: [Bool]

        init(_ labels: [Int32]) {
            let low = labels.min() ?? 1, high = labels.max() ?? 0
            first = low
            var table = [Bool](repeating: false, count: max(0, Int(high) - Int(low) + 1))
            for label in labels { table[Int(label - low)] = true }
            self.table = table
        }

        /// False for 0, the background.
        @inline(__always) public func contains(_ label: Int32) -> Bool {
            let i = Int(label) - Int(first)
            return label != 0 && i >= 0 && i < table.count && table[i]
        }
    }

    /// 8-connected components of the pixels of `image` that are above `threshold` (read as
    /// `1 - x` when `inverted`), numbered in the raster order of their first pixel.
    ///
    /// By runs, not by flood fill: one pass finds each row's runs of ink and joins every run to
    /// the runs of the row above that touch it (overlapping, or diagonally adjacent), in a
    /// union-find over runs that names a set by its first run; a second pass numbers the sets
    /// and writes the labels a run at a time. A page is mostly paper, so the cost is one scan of
    /// the pixels plus a little per run, where a flood fill visits eight neighbours per ink pixel.
    public static func components(of image: GreyImage, above threshold: Float = 0, inverted: Bool = false) -> ComponentMap {
        inverted
            ? components(of: image, isInk: { 1 - $0 > threshold }, anyInk: { any(1 - $0 .> threshold) })
            : components(of: image, isInk: { $0 > threshold }, anyInk: { any($0 .> threshold) })
    }

    /// `anyInk` says whether any of 16 pixels is ink, as `isInk` would say of each: the paper
    /// between runs is skipped 16 pixels at a time.
    @inline(__always)
    static func components(of image: GreyImage, isInk: (Float) -> Bool, anyInk: (SIMD16<Float>) -> Bool) -> ComponentMap {
        let width = image.width, height = image.height
        var starts: [Int] = [], ends: [Int] = [], rows: [Int] = []
        var sets = UnionFind(count: 0)
        image.pixels.withUnsafeBufferPointer { ink in
            var previous = 0..<0  // the runs of the row above, as indices into starts/ends
            for y in 0..<height {
                let base = y * width
                let first = starts.count
                var above = previous.lowerBound
                var x = 0
                while x < width {
                    while x + 16 <= width,
                          !anyInk(UnsafeRawPointer(ink.baseAddress! + base + x).loadUnaligned(as: SIMD16<Float>.self)) {
                        x += 16
                    }
                    while x < width && !isInk(ink[base + x]) { x += 1 }
                    if x == width { break }
                    let start = x
                    while x < width && isInk(ink[base + x]) { x += 1 }
                    let run = starts.count
                    starts.append(start)
                    ends.append(x)
                    rows.append(y)
                    sets.append()
                    // Runs above that end before this one's start - 1 touch no later run either.
                    while above < previous.upperBound && ends[above] < start { above += 1 }
                    var j = above
                    while j < previous.upperBound && starts[j] <= x {
                        sets.union(run, j)
                        j += 1
                    }
                }
                previous = first..<starts.count
            }
        }
        var labels = [Int32](repeating: 0, count: width * height)
        var components: [Component] = []
        var labelOfRoot = [Int32](repeating: 0, count: starts.count)
        labels.withUnsafeMutableBufferPointer { labels in
            for run in starts.indices {
                let root = sets.root(run)
                let (start, end, y) = (starts[run], ends[run], rows[run])
                if root == run {
                    components.append(Component(box: PixelBox(minX: start, minY: y, maxX: end, maxY: y + 1),
                                                pixelCount: 0))
                    labelOfRoot[run] = Int32(components.count)
                }
                let label = labelOfRoot[root]
                let c = Int(label) - 1
                components[c].pixelCount += end - start
                components[c].box.minX = min(components[c].box.minX, start)
                components[c].box.maxX = max(components[c].box.maxX, end)
                components[c].box.maxY = y + 1
                for x in start..<end { labels[y * width + x] = label }
            }
        }
        return ComponentMap(width: width, height: height, labels: labels, components: components)
    }

    /// Drops specks, merges horizontally overlapping components, orders left to right.
    /// Throws `tooManyGlyphs` above `limit` glyphs (or `maxComponents` candidates) and `empty`
    /// when nothing is left.
    public static func regions(of map: ComponentMap, limit: Int = maxGlyphs) throws(ImagingError) -> [Region] {
        let regions = mergeOverlapping(try significant(map, limit: limit), of: map)
        if regions.count > limit { throw .tooManyGlyphs(count: regions.count, limit: limit) }
        return regions
    }

    /// The indices of `map.components` that are not specks (see `speckSizeFraction`).
    /// Throws `empty` when none is left and `tooManyGlyphs` above `maxComponents`.
    public static func significant(_ map: ComponentMap, limit: Int = maxGlyphs) throws(ImagingError) -> [Int] {
        let all = map.components
        let tallest = all.map(\.box.height).max() ?? 0
        let largest = all.map(\.pixelCount).max() ?? 0
        let kept = all.indices.filter { index in
            let component = all[index]
            let small = Double(max(component.box.width, component.box.height)) < speckSizeFraction * Double(tallest)
            let tiny = Double(component.pixelCount) < speckAreaFraction * Double(largest)
            return !(small && tiny)
        }
        if kept.isEmpty { throw .empty }
        if kept.count > maxComponents { throw .tooManyGlyphs(count: kept.count, limit: limit) }
        return kept
    }

    /// Merges the components `kept` (indices of `map.components`) that overlap horizontally by
    /// more than half of the narrower one, transitively; regions come out left to right.
    public static func mergeOverlapping(_ kept: [Int], of map: ComponentMap) -> [Region] {
        let all = map.components
        // Union-find over the kept components; only pairs whose x-ranges meet are compared.
        var sets = UnionFind(count: kept.count)
        let order = kept.indices.sorted { all[kept[$0]].box.minX < all[kept[$1]].box.minX }
        for (position, i) in order.enumerated() {
            let a = all[kept[i]].box
            for j in order[(position + 1)...] {
                let b = all[kept[j]].box
                if b.minX >= a.maxX { break }
                let overlap = min(a.maxX, b.maxX) - max(a.minX, b.minX)
                if 2 * overlap > min(a.width, b.width) {
                    sets.union(i, j)
                }
            }
        }
        var byRoot: [Int: Region] = [:]
        for i in kept.indices {
            let component = all[kept[i]]
            let label = Int32(kept[i] + 1)
            let r = sets.root(i)
            if var region = byRoot[r] {
                region.box = region.box.union(component.box)
                region.labels.append(label)
                byRoot[r] = region
            } else {
                byRoot[r] = Region(box: component.box, labels: [label])
            }
        }
        return byRoot.values.sorted {
            ($0.box.minX, $0.box.minY) < ($1.box.minX, $1.box.minY)
        }
    }

    /// The pixels of `source` inside `region`, each pixel that is not part of the region's
    /// components replaced by `fill`, with a one-pixel frame of `fill` around it: the glyph as
    /// if it had been drawn alone on clean paper, so a neighbour's ink cannot leak in.
    public static func isolate(_ region: Region, of map: ComponentMap, from source: GreyImage, fill: Float) -> GreyImage {
        let box = region.box
        var output = GreyImage(width: box.width + 2, height: box.height + 2, filledWith: fill)
        let members = region.members
        for y in box.minY..<box.maxY {
            for x in box.minX..<box.maxX {
                let label = map.labels[y * map.width + x]
                if members.contains(label) {
                    output[x - box.minX + 1, y - box.minY + 1] = source[x, y]
                }
            }
        }
        return output
    }

    /// Groups strokes whose horizontal extents overlap or touch, transitively; groups are
    /// ordered left to right and hold stroke indices in input order. Empty strokes are skipped.
    public static func groupStrokes(_ strokes: [[Point]], limit: Int = maxGlyphs) throws(ImagingError) -> [[Int]] {
        let spans: [(index: Int, minX: Double, maxX: Double)] = strokes.enumerated().compactMap { index, stroke in
            guard let first = stroke.first else { return nil }
            let xs = stroke.lazy.map(\.x)
            return (index, xs.min() ?? first.x, xs.max() ?? first.x)
        }.sorted { ($0.minX, $0.index) < ($1.minX, $1.index) }
        var groups: [[Int]] = []
        var reach = -Double.infinity
        for span in spans {
            if span.minX <= reach, !groups.isEmpty {
                groups[groups.count - 1].append(span.index)
            } else {
                groups.append([span.index])
            }
            // Sorted by minX, so a new group's maxX always exceeds the old reach.
            reach = max(reach, span.maxX)
        }
        if groups.isEmpty { throw .empty }
        if groups.count > limit { throw .tooManyGlyphs(count: groups.count, limit: limit) }
        return groups.map { $0.sorted() }
    }
}
