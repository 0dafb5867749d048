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
    /// to classify at (5 + 2)·(5 + 1)/2 = 21.
    public static let maxCuts = 5

    /// A cut-out piece: columns `from..<to` of a region, as boundary indices.
    public struct Piece: Equatable, Sendable {
        public var from: Int
        public var to: Int
    }

    /// Ink pixels of the region's own components in each of its columns.
    public static func columnProfile(_ region: Segmentation.Region, of map: Segmentation.ComponentMap) -> [Int] {
        let box = region.box
        var profile = [Int](repeating: 0, count: box.width)
        let members = Set(region.labels)
        for y in box.minY..<box.maxY {
            for x in box.minX..<box.maxX {
                let label = map.labels[y * map.width + x]
                if label != 0 && members.contains(label) { profile[x - box.minX] += 1 }
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
        let margin = max(1, Int((minPieceWidth * lineHeight).rounded(.up)))
        guard width > 2 * margin else { return [] }
        let smooth = profile.indices.map { x in
            profile[max(0, x - 1)...min(width - 1, x + 1)].reduce(0, +)
        }
        // A plateau's minimum counts once, at its middle.
        var minima: [(column: Int, value: Int)] = []
        var x = margin
        while x < width - margin {
            var end = x
            while end + 1 < width - margin && smooth[end + 1] == smooth[x] { end += 1 }
            let leftHigher = x == 0 || smooth[x - 1] > smooth[x]
            let rightHigher = end == width - 1 || smooth[end + 1] > smooth[x]
            if leftHigher && rightHigher { minima.append(((x + end) / 2, smooth[x])) }
            x = end + 1
        }
        var chosen: [Int] = []
        for candidate in minima.sorted(by: { ($0.value, $0.column) < ($1.value, $1.column) }) {
            if chosen.count == maxCuts { break }
            if chosen.allSatisfy({ abs($0 - candidate.column) >= margin }) { chosen.append(candidate.column) }
        }
        return chosen.sorted()
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

    /// Columns `columns` (image coordinates) of `region` as a glyph on its own, like
    /// `Segmentation.isolate`: the region's ink in those columns, everything else `fill`, a
    /// one-pixel frame of `fill`, cut to the rows and columns that hold ink. Also returns that
    /// ink's box; nil when the columns hold none of the region's ink.
    public static func isolate(
        _ region: Segmentation.Region, columns: Range<Int>, of map: Segmentation.ComponentMap,
        from source: GreyImage, fill: Float
    ) -> (image: GreyImage, box: PixelBox)? {
        let members = Set(region.labels)
        var box: PixelBox?
        let lower = max(columns.lowerBound, region.box.minX), upper = min(columns.upperBound, region.box.maxX)
        guard lower < upper else { return nil }
        let xs = lower..<upper
        for y in region.box.minY..<region.box.maxY {
            for x in xs where members.contains(map.labels[y * map.width + x]) {
                let pixel = PixelBox(minX: x, minY: y, maxX: x + 1, maxY: y + 1)
                box = box?.union(pixel) ?? pixel
            }
        }
        guard let box else { return nil }
        let piece = Segmentation.Region(box: box, labels: region.labels)
        return (Segmentation.isolate(piece, of: map, from: source, fill: fill), box)
    }
}
