/// Ruled lines of a page: the lines of ruled paper, a table's borders. One such line touches
/// most of the digits written on it, so they would all be one component, read as one glyph.
///
/// A rule is a straight run of ink across at least `crossingShare` of the page, at least
/// `ruleLength` times as long as the glyphs left once it is erased are tall
/// (`PageLayout.glyphHeight` of the components then). The second condition keeps the glyphs of
/// a tight crop: the bar of a 7 or the stem of a 1 crosses its whole image, but is about as
/// long as the glyph is tall, and erasing a 1's stem leaves no glyph at all. Only the runs that
/// cross the page are erased, and not where a stroke crosses them.
public enum Rules {
    /// A rule's run of ink crosses at least this share of the page's width (height).
    public static let crossingShare = 0.9
    /// And is at least this many times as long as the glyphs left without it are tall.
    public static let ruleLength = 3.0

    /// A straight run of one component's ink: along row (or column) `line`, from `start`.
    struct Run: Equatable {
        var line: Int
        var start: Int
        var length: Int
        var horizontal: Bool
    }

    /// `map` with its rules' ink erased and the rest labelled again (the digits that touched a
    /// rule become components of their own); `map` itself when it has no rule.
    public static func removed(from map: Segmentation.ComponentMap) -> Segmentation.ComponentMap {
        let crossing = map.components.indices.flatMap { index -> [Run] in
            let box = map.components[index].box
            let label = Int32(index + 1)
            var found: [Run] = []
            if Double(box.width) >= crossingShare * Double(map.width) {
                found += runs(of: label, in: map, horizontal: true)
                    .filter { Double($0.length) >= crossingShare * Double(map.width) }
            }
            if Double(box.height) >= crossingShare * Double(map.height) {
                found += runs(of: label, in: map, horizontal: false)
                    .filter { Double($0.length) >= crossingShare * Double(map.height) }
            }
            return found
        }
        guard let longest = crossing.map(\.length).max() else { return map }
        let without = erasing(crossing, from: map)
        let glyph = PageLayout.glyphHeight(without.components.map { GlyphBox($0.box) })
        guard glyph > 0, Double(longest) >= ruleLength * glyph else { return map }
        let rules = crossing.filter { Double($0.length) >= ruleLength * glyph }
        return rules.count == crossing.count ? without : erasing(rules, from: map)
    }

    /// `map`'s ink without `runs`, labelled again. A run's pixel where a stroke crosses the rule
    /// (ink on both sides of the rule's band, above and below for a horizontal rule) is kept,
    /// so that a digit written through a rule stays one component.
    static func erasing(_ runs: [Run], from map: Segmentation.ComponentMap) -> Segmentation.ComponentMap {
        let width = map.width, height = map.height
        var rule = [Bool](repeating: false, count: width * height)
        for run in runs {
            for step in 0..<run.length {
                let (x, y) = run.horizontal ? (run.start + step, run.line) : (run.line, run.start + step)
                rule[y * width + x] = true
            }
        }
        func ink(_ x: Int, _ y: Int) -> Bool {
            x >= 0 && y >= 0 && x < width && y < height && map.labels[y * width + x] != 0 && !rule[y * width + x]
        }
        /// Whether the stroke through (x, y) goes on past the band of rule pixels it lies in,
        /// on both sides, stepping (dx, dy).
        func crossed(_ x: Int, _ y: Int, _ dx: Int, _ dy: Int) -> Bool {
            var (ax, ay) = (x, y), (bx, by) = (x, y)
            while ax >= 0, ay >= 0, ax < width, ay < height, rule[ay * width + ax] { ax -= dx; ay -= dy }
            while bx >= 0, by >= 0, bx < width, by < height, rule[by * width + bx] { bx += dx; by += dy }
            return ink(ax, ay) && ink(bx, by)
        }
        var image = GreyImage(width: width, height: height)
        for i in map.labels.indices where map.labels[i] != 0 { image.pixels[i] = 1 }
        for run in runs {
            for step in 0..<run.length {
                let (x, y) = run.horizontal ? (run.start + step, run.line) : (run.line, run.start + step)
                let across = run.horizontal ? crossed(x, y, 0, 1) : crossed(x, y, 1, 0)
                if !across { image.pixels[y * width + x] = 0 }
            }
        }
        return Segmentation.components(of: image)
    }

    /// The runs of `label`'s ink in each row (`horizontal`) or column of its box.
    static func runs(of label: Int32, in map: Segmentation.ComponentMap, horizontal: Bool) -> [Run] {
        let box = map.components[Int(label) - 1].box
        let lines = horizontal ? box.minY..<box.maxY : box.minX..<box.maxX
        let span = horizontal ? box.minX..<box.maxX : box.minY..<box.maxY
        var found: [Run] = []
        for line in lines {
            var start: Int?
            for position in span {
                let index = horizontal ? line * map.width + position : position * map.width + line
                if map.labels[index] == label {
                    if start == nil { start = position }
                } else if let first = start {
                    found.append(Run(line: line, start: first, length: position - first, horizontal: horizontal))
                    start = nil
                }
            }
            if let first = start {
                found.append(Run(line: line, start: first, length: span.upperBound - first, horizontal: horizontal))
            }
        }
        return found
    }
}
