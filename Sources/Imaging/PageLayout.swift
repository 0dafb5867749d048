/// The layout of a page of handwritten numbers: which boxes form a text line, and where a line
/// breaks into numbers. It sees boxes only (image pixels or canvas units), never ink or a
/// classifier, so images and strokes share it and it is tested with literal boxes.
/// The rules and their reasons are in docs/segmentation.md ("Pages").
public enum PageLayout {
    /// Only boxes at least this fraction of the median height seed lines. Smaller ones (a 5's
    /// bar drawn apart, a dot) overlap too little with anything to vote, and a small piece in
    /// the space between two lines could otherwise chain them into one.
    public static let seedHeightFraction = 0.3
    /// Two seeds share a line when their vertical overlap exceeds this fraction of the shorter
    /// one's height. Neighbours on a slightly slanted line overlap almost fully, so a line is
    /// the transitive closure of neighbour pairs and follows the slant; glyphs of the lines
    /// above and below overlap by a descender at most.
    public static let lineOverlapFraction = 0.5
    /// Seeds further apart horizontally than this many of the taller one's heights are not
    /// compared: on a slanted page a glyph at one end of a line can sit level with the next
    /// line's glyphs at the other end. Lines broken at a wider gap (the columns of a table)
    /// are joined again when their centre lines meet.
    public static let neighbourReach = 3.0
    /// A fitted line's slope is clamped to this (dy/dx): the pages are written, not rotated.
    public static let maxSlope = 0.3

    /// Word gaps, in units of the line's median glyph height: below `joinGap` always inside
    /// a number, above `breakGap` always between numbers, `defaultBreakGap` when the line's
    /// own gaps do not fall into two clusters.
    public static let joinGap = 0.3
    public static let breakGap = 1.0
    public static let defaultBreakGap = 0.6

    /// Groups `boxes` into text lines: indices into `boxes`, lines top to bottom, each line left
    /// to right.
    public static func lines(_ boxes: [GlyphBox]) -> [[Int]] {
        guard !boxes.isEmpty else { return [] }
        let median = Self.median(boxes.map(\.height))
        var seeds = boxes.indices.filter { boxes[$0].height >= seedHeightFraction * median }
        if seeds.isEmpty { seeds = Array(boxes.indices) }

        var sets = UnionFind(count: boxes.count)
        // Sweep in order of top edge: once a box starts below `a`'s bottom, none after it can overlap.
        seeds.sort { boxes[$0].y < boxes[$1].y }
        for (position, i) in seeds.enumerated() {
            let a = boxes[i]
            for j in seeds[(position + 1)...] {
                let b = boxes[j]
                if b.y >= a.y + a.height { break }
                let apart = max(b.x - (a.x + a.width), a.x - (b.x + b.width))
                if apart > neighbourReach * max(a.height, b.height) { continue }
                let overlap = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
                if overlap > lineOverlapFraction * min(a.height, b.height) {
                    sets.union(i, j)
                }
            }
        }
        var members: [Int: [Int]] = [:]
        for i in seeds { members[sets.root(i), default: []].append(i) }
        var lines = joinFragments(members.values.map { Line(members: $0, boxes: boxes) }, boxes: boxes)

        // The rest go to the line whose centre line passes closest to their centre.
        let seedSet = Set(seeds)
        for i in boxes.indices where !seedSet.contains(i) {
            let (cx, cy) = centre(boxes[i])
            var best = 0
            var bestDistance = Double.infinity
            for (index, line) in lines.enumerated() {
                let distance = abs(cy - line.centreY(at: cx))
                if distance < bestDistance { (best, bestDistance) = (index, distance) }
            }
            lines[best].members.append(i)
        }
        return lines
            .sorted { $0.meanCentreY < $1.meanCentreY }
            .map { line in line.members.sorted { (boxes[$0].x, boxes[$0].y, $0) < (boxes[$1].x, boxes[$1].y, $1) } }
    }

    /// Joins pieces of one line that a wide gap kept apart: two fragments side by side (their
    /// x-ranges overlap by less than half the narrower one) whose centre lines, each carried to
    /// the other's centre, pass within half a glyph height of it. (Level, or along the fitted
    /// slope: a slope fitted to two glyphs carried across a wide gap is mostly noise.)
    static func joinFragments(_ fragments: [Line], boxes: [GlyphBox]) -> [Line] {
        var lines = fragments
        var joined = true
        while joined {
            joined = false
            search: for i in lines.indices {
                for j in lines.indices where j > i {
                    let a = lines[i], b = lines[j]
                    let overlap = min(a.maxX, b.maxX) - max(a.minX, b.minX)
                    guard 2 * overlap < min(a.maxX - a.minX, b.maxX - b.minX) else { continue }
                    let reach = 0.5 * min(a.height, b.height)
                    if a.passes(near: b, within: reach), b.passes(near: a, within: reach) {
                        lines[i] = Line(members: a.members + b.members, boxes: boxes)
                        lines.remove(at: j)
                        joined = true
                        break search
                    }
                }
            }
        }
        return lines
    }

    /// A glyph region shorter than this many line heights, and narrower than `fragmentWidth`,
    /// is no digit of its own: a dot of a "1", a 5's bar or a broken-off end of a stroke that
    /// does not overlap its digit horizontally by half.
    public static let fragmentHeight = 0.45
    public static let fragmentWidth = 1.0
    /// So is a sliver shorter than this and narrower than `sliverWidth` (the flick at the end of
    /// a stroke): a "1" is as tall as its line.
    public static let sliverHeight = 0.75
    public static let sliverWidth = 0.2
    /// A fragment joins its nearer neighbour in the line when the gap between their boxes is
    /// at most this many line heights (gaps inside a number are narrower, between numbers wider).
    public static let fragmentReach = 0.35
    /// A fragment with no glyph within reach whose longer side is below this many line heights
    /// is dust, not a glyph: a speck that the page-wide speck rule kept because the page's
    /// digits are small (that rule weighs a speck against the largest component's pixels).
    public static let dustSize = 0.25

    /// The height of one line's glyphs, not its fragments: the median of its boxes at least
    /// half as tall as the tallest.
    public static func glyphHeight(_ boxes: [GlyphBox]) -> Double {
        let tallest = boxes.map(\.height).max() ?? 0
        return median(boxes.map(\.height).filter { $0 >= 0.5 * tallest })
    }

    /// Which of a page's lines, given as their glyph heights (`glyphHeight`), are dust: lines
    /// whose glyphs are under `dustSize` of the page's tallest line's. On a page of few
    /// digits and many specks, the specks outnumber the digits, the median height that picks
    /// the seeds of lines is a speck's, and specks of paper between the lines seed lines of
    /// their own.
    public static func dustLines(_ heights: [Double]) -> [Bool] {
        let tallest = heights.max() ?? 0
        return heights.map { $0 < dustSize * tallest }
    }

    /// What a region of a line is to the page reader.
    public enum FragmentRole: Equatable, Sendable {
        /// A glyph of its own.
        case glyph
        /// Part of the glyph at this index (a 1's flick, a 5's bar).
        case joins(Int)
        /// Dust, to be dropped.
        case dust
    }

    /// For one line's glyph boxes, given left to right: what each one is (`fragmentHeight`,
    /// `fragmentReach`, `dustSize`, in heights of the line's glyphs). Fragments join only
    /// glyphs that are no fragments themselves; a fragment with no glyph within reach stays
    /// alone, unless it is dust.
    public static func fragmentRoles(_ boxes: [GlyphBox]) -> [FragmentRole] {
        let height = glyphHeight(boxes)
        guard boxes.count > 1, height > 0 else { return boxes.map { _ in .glyph } }
        let fragment = boxes.map {
            ($0.height < fragmentHeight * height && $0.width < fragmentWidth * height)
                || ($0.height < sliverHeight * height && $0.width < sliverWidth * height)
        }
        func gap(_ a: GlyphBox, _ b: GlyphBox) -> Double {
            max(0, max(b.x - (a.x + a.width), a.x - (b.x + b.width)))
        }
        return boxes.indices.map { i -> FragmentRole in
            guard fragment[i] else { return .glyph }
            let owners = boxes.indices.filter { !fragment[$0] && gap(boxes[i], boxes[$0]) <= fragmentReach * height }
            if let owner = owners.min(by: { (gap(boxes[i], boxes[$0]), $0) < (gap(boxes[i], boxes[$1]), $1) }) {
                return .joins(owner)
            }
            return max(boxes[i].width, boxes[i].height) < dustSize * height ? .dust : .glyph
        }
    }

    /// Splits one line's glyph boxes, given left to right, into numbers: runs of indices into
    /// `boxes`, left to right.
    public static func words(_ boxes: [GlyphBox]) -> [[Int]] {
        guard boxes.count > 1 else { return boxes.isEmpty ? [] : [[0]] }
        let height = max(median(boxes.map(\.height)), 1e-9)
        let gaps = zip(boxes, boxes.dropFirst()).map { left, right in
            (right.x - (left.x + left.width)) / height
        }
        let threshold = breakThreshold(gaps)
        var words: [[Int]] = [[0]]
        for (index, gap) in gaps.enumerated() {
            if gap > threshold { words.append([]) }
            words[words.count - 1].append(index + 1)
        }
        return words
    }

    /// The gap (in line heights) above which a line breaks. When the line's gaps fall into two
    /// clearly separated groups (Otsu's split of the sorted gaps, the wider group's mean at
    /// least twice the narrower one's plus 0.2), the split between them, kept within
    /// [`joinGap`, `breakGap`]; otherwise `defaultBreakGap`: a line of one number, or of numbers
    /// of one digit each, has only one kind of gap.
    public static func breakThreshold(_ gaps: [Double]) -> Double {
        let sorted = gaps.map { max(0, $0) }.sorted()
        guard sorted.count >= 2 else { return defaultBreakGap }
        let total = sorted.reduce(0, +)
        var best: (score: Double, split: Int) = (-1, 0)
        var leftSum = 0.0
        for split in 1..<sorted.count {
            leftSum += sorted[split - 1]
            let n0 = Double(split), n1 = Double(sorted.count - split)
            let m0 = leftSum / n0, m1 = (total - leftSum) / n1
            let score = n0 * n1 * (m1 - m0) * (m1 - m0)
            if score > best.score { best = (score, split) }
        }
        let narrow = sorted[..<best.split], wide = sorted[best.split...]
        let m0 = narrow.reduce(0, +) / Double(narrow.count)
        let m1 = wide.reduce(0, +) / Double(wide.count)
        guard m1 >= 2 * m0 + 0.2 else { return defaultBreakGap }
        let split = (sorted[best.split - 1] + sorted[best.split]) / 2
        return min(breakGap, max(joinGap, split))
    }

    /// The union of `boxes` (which must not be empty).
    public static func union(_ boxes: [GlyphBox]) -> GlyphBox {
        let minX = boxes.map(\.x).min() ?? 0, minY = boxes.map(\.y).min() ?? 0
        let maxX = boxes.map { $0.x + $0.width }.max() ?? 0, maxY = boxes.map { $0.y + $0.height }.max() ?? 0
        return GlyphBox(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    /// The median (the mean of the two middle values for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    static func centre(_ box: GlyphBox) -> (Double, Double) {
        (box.x + box.width / 2, box.y + box.height / 2)
    }

    /// A line while it is being built: its members and the straight line through their centres.
    struct Line {
        var members: [Int]
        let intercept: Double
        let slope: Double
        let meanCentreX: Double
        let meanCentreY: Double
        let minX: Double
        let maxX: Double
        let height: Double

        init(members: [Int], boxes: [GlyphBox]) {
            self.members = members
            minX = members.map { boxes[$0].x }.min() ?? 0
            maxX = members.map { boxes[$0].x + boxes[$0].width }.max() ?? 0
            height = PageLayout.median(members.map { boxes[$0].height })
            let centres = members.map { centre(boxes[$0]) }
            let n = Double(centres.count)
            let mx = centres.map(\.0).reduce(0, +) / n
            let my = centres.map(\.1).reduce(0, +) / n
            let sxx = centres.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
            let sxy = centres.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
            let slope = sxx > 0 ? min(maxSlope, max(-maxSlope, sxy / sxx)) : 0
            self.slope = slope
            self.intercept = my - slope * mx
            self.meanCentreX = mx
            self.meanCentreY = my
        }

        func centreY(at x: Double) -> Double { intercept + slope * x }

        func passes(near other: Line, within reach: Double) -> Bool {
            abs(centreY(at: other.meanCentreX) - other.meanCentreY) < reach
                || abs(meanCentreY - other.meanCentreY) < reach
        }
    }
}
