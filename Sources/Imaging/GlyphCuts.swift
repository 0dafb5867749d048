/// Candidate cuts through a glyph region that may hold several touching digits.
///
/// Geometry only: where a cut could go (minima of the region's column profile) and which
/// pieces between candidate cuts are worth classifying. Which cuts to keep needs the
/// classifier and is decided in Recognition (`CutChoice`).
public enum GlyphCuts {
    /// A region narrower than this many line heights is read whole: one handwritten digit is
    /// rarely wider than it is tall, two touching ones almost always are.
    public static let minWidthToCut = 0.6
    /// No piece narrower than this many line heights (a "1" is thin, a sliver of a "0" is not a glyph).
    public static let minPieceWidth = 0.1
    /// No piece, other than the whole region, wider than this many line heights.
    public static let maxPieceWidth = 1.3
    /// At most this many candidate cuts per region: with the two ends that bounds the pieces
    /// to classify at (12 + 2)·(12 + 1)/2 = 91 (fewer: pieces wider than `maxPieceWidth` are
    /// skipped). 12 instead of 8 read touching pages 0.1 to 0.6 points better (six sets), and
    /// more than 12 no better: the outline and the profile rarely offer more, spaced as they
    /// must be (docs/segmentation.md).
    public static let maxCuts = 12

    /// A dip of the region's upper or lower outline at least this many line heights deep, with
    /// outline on both sides, is a candidate cut: where two digits touch, the paper above or
    /// below the join reaches into the ink like a valley.
    public static let minValleyDepth = 0.15
    /// At most this many candidate cuts from outline valleys, before the column profile's minima.
    public static let maxValleys = 6

    /// A cut-out piece: columns `from..<to` of a region, as boundary indices.
    public struct Piece: Equatable, Sendable {
        public var from: Int
        public var to: Int
    }

    /// Ink pixels of the region's own components in each of its columns.
    public static func columnProfile(_ region: Segmentation.Region, of map: Segmentation.ComponentMap) -> [Int] {
        let box = region.box
        var profile = [Int](repeating: 0, count: box.width)
        let members = region.members
        for y in box.minY..<box.maxY {
            for x in box.minX..<box.maxX {
                let label = map.labels[y * map.width + x]
                if members.contains(label) { profile[x - box.minX] += 1 }
            }
        }
        return profile
    }

    /// Columns (offsets into `profile`) where a cut could separate two touching glyphs: the
    /// lowest local minima of the profile smoothed over three columns, at least a minimum
    /// piece width from either end and from each other, lowest first up to `maxCuts`, then
    /// sorted left to right. Empty when the region is narrower than `minWidthToCut` heights.
    public static func cutColumns(profile: [Int], lineHeight: Double) -> [Int] {
        let width = profile.count
        guard lineHeight > 0, Double(width) >= minWidthToCut * lineHeight else { return [] }
        let margin = cutMargin(lineHeight)
        guard width > 2 * margin else { return [] }
        let smooth = profile.indices.map { x in
            profile[max(0, x - 1)...min(width - 1, x + 1)].reduce(0, +)
        }
        let minima = extrema(of: smooth.map { -$0 }, margin: margin)
            .sorted { ($0.value, -$0.column) > ($1.value, -$1.column) }.map(\.column)
        return spaced(minima, margin: margin, atMost: maxCuts).sorted()
    }

    /// The least distance between two cuts, or a cut and either end of the region: a minimum
    /// piece width, at least a pixel.
    static func cutMargin(_ lineHeight: Double) -> Int {
        max(1, Int((minPieceWidth * lineHeight).rounded(.up)))
    }

    /// The local maxima of `values` at least `margin` from either end, each plateau once, at
    /// its middle: (column, value), left to right.
    static func extrema(of values: [Int], margin: Int) -> [(column: Int, value: Int)] {
        let width = values.count
        var found: [(column: Int, value: Int)] = []
        var x = margin
        while x < width - margin {
            var end = x
            while end + 1 < width - margin && values[end + 1] == values[x] { end += 1 }
            let leftLower = x == 0 || values[x - 1] < values[x]
            let rightLower = end == width - 1 || values[end + 1] < values[x]
            if leftLower && rightLower { found.append(((x + end) / 2, values[x])) }
            x = end + 1
        }
        return found
    }

    /// `chosen` and then `columns` (best first), each taken when it is at least `margin` from
    /// every one taken before, until there are `atMost`.
    static func spaced(_ columns: [Int], margin: Int, atMost: Int, after chosen: [Int] = []) -> [Int] {
        var chosen = chosen
        for column in columns {
            if chosen.count >= atMost { break }
            if chosen.allSatisfy({ abs($0 - column) >= margin }) { chosen.append(column) }
        }
        return chosen
    }

    /// Columns (offsets into the region's box) at the bottom of the valleys of its outline: for
    /// the upper outline (each column's first ink row) and the lower one (its last), how deep
    /// water poured from above or below would stand there (the lower of the highest outline on
    /// either side, minus the outline there); each local maximum at least `minValleyDepth`
    /// line heights deep, deepest first, at most `maxValleys`, at least a minimum piece width
    /// from either end and from each other. Empty when the region is narrower than
    /// `minWidthToCut` heights.
    public static func contourValleys(
        _ region: Segmentation.Region, of map: Segmentation.ComponentMap, lineHeight: Double
    ) -> [Int] {
        let box = region.box
        let width = box.width
        guard lineHeight > 0, Double(width) >= minWidthToCut * lineHeight else { return [] }
        let margin = cutMargin(lineHeight)
        guard width > 2 * margin else { return [] }
        let members = region.members
        // Heights of the outline above the box's bottom (upper) and below its top (lower);
        // -1 for a column without ink, which holds no water.
        var upper = [Int](repeating: -1, count: width), lower = [Int](repeating: -1, count: width)
        for x in 0..<width {
            var first = -1, last = -1
            for row in 0..<box.height where members.contains(map.labels[(box.minY + row) * map.width + box.minX + x]) {
                if first < 0 { first = row }
                last = row
            }
            if first >= 0 {
                upper[x] = box.height - first
                lower[x] = last + 1
            }
        }
        func trapped(_ outline: [Int]) -> [Int] {
            var left = [Int](repeating: 0, count: width), right = [Int](repeating: 0, count: width)
            var high = -1
            for x in 0..<width { high = max(high, outline[x]); left[x] = high }
            high = -1
            for x in stride(from: width - 1, through: 0, by: -1) { high = max(high, outline[x]); right[x] = high }
            return (0..<width).map { outline[$0] < 0 ? 0 : max(0, min(left[$0], right[$0]) - outline[$0]) }
        }
        let least = Int((minValleyDepth * lineHeight).rounded(.up))
        let valleys = (extrema(of: trapped(upper), margin: margin) + extrema(of: trapped(lower), margin: margin))
            .filter { $0.value >= least }
            .sorted { ($0.value, -$0.column) > ($1.value, -$1.column) }.map(\.column)
        return spaced(valleys, margin: margin, atMost: maxValleys).sorted()
    }

    /// The width of one handwritten digit, in line heights, that `evenCuts` divides a region by.
    public static let typicalDigitWidth = 0.6

    /// Columns (offsets into a region `width` pixels wide) that divide it into as many equal
    /// parts as it holds digits of `typicalDigitWidth` (rounded; none below two): where two
    /// digits touch along a stroke, neither the outline nor the column profile may dip at the
    /// seam, but a run of touching digits is still about that wide each.
    public static func evenCuts(width: Int, lineHeight: Double) -> [Int] {
        guard lineHeight > 0 else { return [] }
        let parts = Int((Double(width) / (typicalDigitWidth * lineHeight)).rounded())
        guard parts >= 2 else { return [] }
        return (1..<parts).map { Int((Double($0 * width) / Double(parts)).rounded()) }
    }

    /// The candidate cuts of a region: its outline's valleys, then its column profile's minima
    /// (`cutColumns`), then its even divisions (`evenCuts`), each at least a minimum piece width
    /// from those before, at most `maxCuts` in all, left to right.
    public static func candidateCuts(
        _ region: Segmentation.Region, of map: Segmentation.ComponentMap, lineHeight: Double
    ) -> [Int] {
        let margin = cutMargin(lineHeight)
        let shaped = spaced(cutColumns(profile: columnProfile(region, of: map), lineHeight: lineHeight),
                            margin: margin, atMost: maxCuts,
                            after: contourValleys(region, of: map, lineHeight: lineHeight))
        return spaced(evenCuts(width: region.box.width, lineHeight: lineHeight), margin: margin, atMost: maxCuts,
                      after: shaped).sorted()
    }

    /// The pieces worth classifying between `boundaries` (ascending column offsets, the two
    /// ends included): the whole region, and every run between two boundaries that is between
    /// `minPieceWidth` and `maxPieceWidth` line heights wide.
    public static func pieces(boundaries: [Int], lineHeight: Double) -> [Piece] {
        guard boundaries.count >= 2 else { return [] }
        let last = boundaries.count - 1
        var pieces: [Piece] = []
        for from in 0..<last {
            for to in (from + 1)...last {
                let width = Double(boundaries[to] - boundaries[from])
                let whole = from == 0 && to == last
                if whole || (width >= minPieceWidth * lineHeight && width <= maxPieceWidth * lineHeight) {
                    pieces.append(Piece(from: from, to: to))
                }
            }
        }
        return pieces
    }

    /// How far, in line heights, a cut may stray sideways from its column: far enough to go
    /// round the end of a stroke that reaches past the seam.
    public static let cutReach = 0.2
    /// What a cut pays for each column it moves sideways, in ink pixels crossed: it leans only
    /// round a thick run of ink, and stays nearly straight where two slanted digits interleave.
    /// The page head (training/page_head.py) was trained on pieces cut straight and reads such
    /// pieces best: at 1 (a cut that followed every slanted valley) touching pages read 90.4 /
    /// 90.9 % of characters (seeds 2 / 4), at 2, 3 and 5 91.7 / 92.7, 92.7 / 93.1 and 92.9 /
    /// 93.3 %, at 10 or with a reach of one column within 0.1 points of 5; separated pages
    /// (seeds 1 / 3) read as many pages exactly at each (docs/segmentation.md).
    public static let cutStepCost: Float = 5.0

    /// A cut through `region` near image column `column`: for each row of the region's box, top
    /// to bottom, the first image column right of the cut. It is the path from the top row to
    /// the bottom one that crosses the fewest of the region's ink pixels, moving at most one
    /// column per row, at `stepCost` ink pixels for each such move, and staying within `reach`
    /// columns of `column` (and inside the box).
    public static func cutPath(
        _ region: Segmentation.Region, near column: Int, reach: Int, stepCost: Float = cutStepCost,
        of map: Segmentation.ComponentMap
    ) -> [Int] {
        let box = region.box
        let low = max(box.minX + 1, column - reach), high = min(box.maxX - 1, column + reach)
        guard low < high, box.height > 0 else { return [Int](repeating: min(max(column, box.minX), box.maxX), count: box.height) }
        let members = region.members
        let width = high - low + 1
        // cost[y][c]: the least ink a path from the top row to (low + c, y) crosses (a pixel
        // counts when the cut passes just left of it, so it goes to the right-hand piece).
        var cost = [Float](repeating: 0, count: width * box.height)
        var from = [Int8](repeating: 0, count: width * box.height)
        for row in 0..<box.height {
            let y = box.minY + row
            for c in 0..<width {
                let label = map.labels[y * map.width + low + c]
                let ink: Float = members.contains(label) ? 1 : 0
                guard row > 0 else {
                    cost[c] = ink + stepCost * Float(abs(low + c - column))
                    continue
                }
                var best = cost[(row - 1) * width + c], step: Int8 = 0
                if c > 0, cost[(row - 1) * width + c - 1] + stepCost < best {
                    best = cost[(row - 1) * width + c - 1] + stepCost
                    step = -1
                }
                if c + 1 < width, cost[(row - 1) * width + c + 1] + stepCost < best {
                    best = cost[(row - 1) * width + c + 1] + stepCost
                    step = 1
                }
                cost[row * width + c] = best + ink
                from[row * width + c] = step
            }
        }
        let last = (box.height - 1) * width
        var c = (0..<width).min { (cost[last + $0], abs(low + $0 - column)) < (cost[last + $1], abs(low + $1 - column)) } ?? 0
        var path = [Int](repeating: 0, count: box.height)
        for row in stride(from: box.height - 1, through: 0, by: -1) {
            path[row] = low + c
            c += Int(from[row * width + c])
        }
        return path
    }

    /// How many strokes of `region` the cut `path` (as `cutPath` gives it) goes through: the
    /// runs of the region's ink, top to bottom, in the pixels just right of the cut.
    public static func strokesCrossed(_ region: Segmentation.Region, path: [Int], of map: Segmentation.ComponentMap) -> Int {
        var runs = 0, inside = false
        for (row, x) in path.enumerated() {
            let y = region.box.minY + row
            let ink = x >= 0 && x < map.width && region.members.contains(map.labels[y * map.width + x])
            if ink && !inside { runs += 1 }
            inside = ink
        }
        return runs
    }

    /// Columns `columns` (image coordinates) of `region` as a glyph on its own, like
    /// `Segmentation.isolate`: the region's ink in those columns, everything else `fill`, a
    /// one-pixel frame of `fill`, cut to the rows and columns that hold ink. Also returns that
    /// ink's box; nil when the columns hold none of the region's ink.
    public static func isolate(
        _ region: Segmentation.Region, columns: Range<Int>, of map: Segmentation.ComponentMap,
        from source: GreyImage, fill: Float
    ) -> (image: GreyImage, box: PixelBox)? {
        let rows = region.box.height
        return isolate(region, between: [Int](repeating: columns.lowerBound, count: rows),
                       and: [Int](repeating: columns.upperBound, count: rows), of: map, from: source, fill: fill)
    }

    /// The part of `region` between two cuts as a glyph on its own: in each row of the
    /// region's box, the ink from column `left[row]` up to `right[row]` (image coordinates,
    /// as `cutPath` gives them), as `isolate(_:columns:of:from:fill:)` does for a straight cut.
    public static func isolate(
        _ region: Segmentation.Region, between left: [Int], and right: [Int], of map: Segmentation.ComponentMap,
        from source: GreyImage, fill: Float
    ) -> (image: GreyImage, box: PixelBox)? {
        let box = region.box
        guard left.count == box.height, right.count == box.height else { return nil }
        let members = region.members
        var inkBox: PixelBox?
        for row in 0..<box.height {
            let y = box.minY + row
            let lower = max(left[row], box.minX), upper = min(right[row], box.maxX)
            guard lower < upper else { continue }
            for x in lower..<upper where members.contains(map.labels[y * map.width + x]) {
                let pixel = PixelBox(minX: x, minY: y, maxX: x + 1, maxY: y + 1)
                inkBox = inkBox?.union(pixel) ?? pixel
            }
        }
        guard let inkBox else { return nil }
        var output = GreyImage(width: inkBox.width + 2, height: inkBox.height + 2, filledWith: fill)
        for y in inkBox.minY..<inkBox.maxY {
            let row = y - box.minY
            let lower = max(left[row], inkBox.minX), upper = min(right[row], inkBox.maxX)
            guard lower < upper else { continue }
            for x in lower..<upper where members.contains(map.labels[y * map.width + x]) {
                output[x - inkBox.minX + 1, y - inkBox.minY + 1] = source[x, y]
            }
        }
        return (output, inkBox)
    }
}
