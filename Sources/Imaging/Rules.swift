/// Ruled lines of a page: the lines of ruled paper, a table's borders. One such line touches
/// most of the digits written on it, so they would all be one component, read as one glyph.
///
/// A rule is a path of ink across at least `crossingShare` of the page, moving at most one
/// pixel across for each pixel along (a page scanned a little askew keeps its rules), at least
/// `ruleLength` times as long as the glyphs left once it is erased are tall
/// (`PageLayout.glyphHeight` of the components then), and those glyphs at least
/// `glyphToThickness` times as tall as the rule is thick. The last two keep the glyphs of a
/// tight crop: the bar of a 7 or the stem of a 1 crosses its whole image, but is about as long
/// as the glyph is tall, and erasing a 1's stem leaves no glyph much taller than the stem is
/// thick. A rule is erased as the straight band fitted through its path, as thick as the rule
/// is where nothing touches it, except where a stroke crosses the band (ink on both sides).
public enum Rules {
    /// A rule's path of ink crosses at least this share of the page's width (height).
    public static let crossingShare = 0.9
    /// And is at least this many times as long as the glyphs left without it are tall.
    public static let ruleLength = 3.0
    /// Which are at least this many times as tall as the rule is thick.
    public static let glyphToThickness = 4.0
    /// At most this many rules a page, and the passes that find them (each one over its
    /// component's box) over at most this many times the page's pixels in all: a table of 30
    /// rules in one component fits, and a page of adversarial lines costs a bounded time.
    public static let maxRules = 64
    public static let searchBudget = 32
    /// A rule is at least this many times as long as it is thick: a dark band across a photo's
    /// edge, or a solid blob, is no rule.
    public static let lengthToThickness = 20

    /// A rule found in a component: the band across `low(at:)...high(at:)` of the straight line
    /// `across = intercept + slope · along`, from `start` to `end` along it (image columns for
    /// a horizontal rule, rows for a vertical one).
    struct Rule: Equatable {
        var horizontal: Bool
        var start: Int
        var end: Int
        var intercept: Double
        var slope: Double
        var thickness: Int

        var length: Int { end - start }

        /// Whether it drifts across by a pixel or more over its length.
        var askew: Bool { abs(slope) * Double(length) >= 1 }

        /// The first pixel across of the rule's band at `along`.
        func low(at along: Int) -> Int {
            Int((intercept + slope * Double(along) - Double(thickness - 1) / 2).rounded())
        }

        /// The last.
        func high(at along: Int) -> Int { low(at: along) + thickness - 1 }
    }

    /// `map` with its rules' ink erased and the rest labelled again (the digits that touched a
    /// rule become components of their own); `map` itself when it has no rule.
    public static func removed(from map: Segmentation.ComponentMap) -> Segmentation.ComponentMap {
        let found = candidates(in: map)
        guard let longest = found.map(\.length).max(), let thickest = found.map(\.thickness).max() else { return map }
        let without = erasing(found, from: map)
        let glyph = PageLayout.glyphHeight(without.components.map { GlyphBox($0.box) })
        guard glyph >= glyphToThickness * Double(thickest), Double(longest) >= ruleLength * glyph else { return map }
        let rules = found.filter { Double($0.length) >= ruleLength * glyph }
        return rules.count == found.count ? without : erasing(rules, from: map)
    }

    /// The paths across the page that may be rules, before the glyphs left without them are
    /// measured: each component's, longest first, within `maxRules` and `searchBudget`.
    static func candidates(in map: Segmentation.ComponentMap) -> [Rule] {
        var found: [Rule] = []
        var budget = searchBudget * map.labels.count
        for horizontal in [true, false] {
            // Pixels of the rules found so far in this direction, not to be found again (a
            // vertical rule crosses the horizontal ones, and must not be cut short by them).
            var taken: [Bool]?
            for (index, component) in map.components.enumerated() {
                let extent = horizontal ? (component.box.width, map.width) : (component.box.height, map.height)
                guard Double(extent.0) >= crossingShare * Double(extent.1) else { continue }
                while found.count < maxRules, budget >= component.box.width * component.box.height {
                    budget -= component.box.width * component.box.height
                    if taken == nil { taken = [Bool](repeating: false, count: map.labels.count) }
                    guard let rule = longestRule(of: Int32(index + 1), in: map, horizontal: horizontal,
                                                 taken: taken!) else { break }
                    found.append(rule)
                    for a in rule.start..<rule.end {
                        for c in rule.low(at: a)...rule.high(at: a) {
                            if let i = pixel(rule, a, c, map) { taken![i] = true }
                        }
                    }
                }
            }
        }
        return found
    }

    /// The index of the pixel `along`, `across` of `rule`'s direction; nil off the image.
    static func pixel(_ rule: Rule, _ along: Int, _ across: Int, _ map: Segmentation.ComponentMap) -> Int? {
        let (x, y) = rule.horizontal ? (along, across) : (across, along)
        return x >= 0 && y >= 0 && x < map.width && y < map.height ? y * map.width + x : nil
    }

    /// The longest path of `label`'s ink not `taken` along its box (left to right for
    /// `horizontal`, top to bottom otherwise), moving at most one pixel across at each step,
    /// when it crosses `crossingShare` of the page; with the straight band it runs in.
    static func longestRule(of label: Int32, in map: Segmentation.ComponentMap, horizontal: Bool,
                            taken: [Bool]) -> Rule? {
        let box = map.components[Int(label) - 1].box
        let along = horizontal ? box.minX..<box.maxX : box.minY..<box.maxY
        let across = horizontal ? box.minY..<box.maxY : box.minX..<box.maxX
        func isMine(_ a: Int, _ c: Int) -> Bool {
            let i = horizontal ? c * map.width + a : a * map.width + c
            return map.labels[i] == label && !taken[i]
        }
        // length[j]: the longest path ending at (a, across j); step: where it came from.
        let size = across.count
        var previous = [Int](repeating: 0, count: size), current = previous
        var step = [Int8](repeating: 0, count: along.count * size)
        var best = (length: 0, i: 0, j: 0)
        for (i, a) in along.enumerated() {
            for (j, c) in across.enumerated() {
                guard isMine(a, c) else { current[j] = 0; continue }
                var length = previous[j], move: Int8 = 0
                if j > 0, previous[j - 1] > length { (length, move) = (previous[j - 1], -1) }
                if j + 1 < size, previous[j + 1] > length { (length, move) = (previous[j + 1], 1) }
                current[j] = length + 1
                step[i * size + j] = move
                if length + 1 > best.length { best = (length + 1, i, j) }
            }
            swap(&previous, &current)
        }
        let page = Double(horizontal ? map.width : map.height)
        guard Double(best.length) >= crossingShare * page else { return nil }
        // Back along the path: at each step, the run of ink across it that holds the path.
        var runs: [(a: Double, low: Int, high: Int)] = []
        var (i, j) = (best.i, best.j)
        for _ in 0..<best.length {
            let a = along.lowerBound + i
            var low = j, high = j
            while low > 0, isMine(a, across.lowerBound + low - 1) { low -= 1 }
            while high + 1 < size, isMine(a, across.lowerBound + high + 1) { high += 1 }
            runs.append((Double(a), across.lowerBound + low, across.lowerBound + high))
            j += Int(step[i * size + j])
            i -= 1
        }
        // Its thickness where nothing touches it, and the straight line through the middle of
        // those runs (least squares).
        let widths = runs.map { $0.high - $0.low + 1 }.sorted()
        let thickness = widths[widths.count / 2]
        guard thickness * lengthToThickness <= best.length else { return nil }
        let bare = runs.filter { $0.high - $0.low + 1 <= thickness }
        let middle = { (run: (a: Double, low: Int, high: Int)) in Double(run.low + run.high) / 2 }
        let n = Double(bare.count)
        let meanA = bare.reduce(0) { $0 + $1.a } / n, meanC = bare.reduce(0) { $0 + middle($1) } / n
        let saa = bare.reduce(0) { $0 + ($1.a - meanA) * ($1.a - meanA) }
        let sac = bare.reduce(0) { $0 + ($1.a - meanA) * (middle($1) - meanC) }
        let slope = saa > 0 ? sac / saa : 0
        return Rule(horizontal: horizontal, start: along.lowerBound + best.i - best.length + 1,
                    end: along.lowerBound + best.i + 1, intercept: meanC - slope * meanA, slope: slope,
                    thickness: thickness)
    }

    /// `map`'s ink without the bands of `rules`, labelled again. Where a stroke crosses a band
    /// (ink on both sides of it) the band's pixels are kept, so that a digit written through a
    /// rule stays one component.
    static func erasing(_ rules: [Rule], from map: Segmentation.ComponentMap) -> Segmentation.ComponentMap {
        var image = GreyImage(width: map.width, height: map.height)
        for i in map.labels.indices where map.labels[i] != 0 { image.pixels[i] = 1 }
        func ink(_ index: Int?) -> Bool { index.map { map.labels[$0] != 0 } ?? false }
        for rule in rules {
            for a in rule.start..<rule.end {
                var (low, high) = (rule.low(at: a), rule.high(at: a))
                // On a rule askew, a pixel of ink just outside the band with paper beyond it is
                // the rule's own, where the straight band and the rule's stepped pixels part by
                // one. (On a level rule it is the edge of a stroke lying along it.)
                if rule.askew {
                    if ink(pixel(rule, a, low - 1, map)) && !ink(pixel(rule, a, low - 2, map)) { low -= 1 }
                    if ink(pixel(rule, a, high + 1, map)) && !ink(pixel(rule, a, high + 2, map)) { high += 1 }
                }
                if ink(pixel(rule, a, low - 1, map)) && ink(pixel(rule, a, high + 1, map)) { continue }
                for c in low...high {
                    if let i = pixel(rule, a, c, map) { image.pixels[i] = 0 }
                }
            }
        }
        return Segmentation.components(of: image)
    }
}
