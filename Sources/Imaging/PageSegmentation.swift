/// Splitting a page into lines, numbers and glyphs (`mode: page`).
///
/// Unlike `Segmentation.regions`, which reads one row left to right, components are first
/// grouped into lines (`PageLayout.lines`), and only then merged by horizontal overlap within
/// their own line, so that glyphs of two lines never merge into columns.
public enum PageSegmentation {
    /// The most glyphs (regions or stroke groups, before any cut) one page may hold.
    public static let maxGlyphs = 512

    /// Lines top to bottom → numbers left to right → glyphs left to right.
    public typealias Layout<Glyph> = [[[Glyph]]]

    /// The glyph of a layout of one line of one number of one glyph; nil for any other layout.
    public static func lone<Glyph>(_ layout: Layout<Glyph>) -> Glyph? {
        layout.count == 1 && layout[0].count == 1 && layout[0][0].count == 1 ? layout[0][0][0] : nil
    }

    /// The glyph regions of an ink mask's components, laid out as a page. Throws `empty`
    /// when only specks are left and `tooManyGlyphs` above `limit` regions.
    public static func regions(
        of map: Segmentation.ComponentMap, limit: Int = maxGlyphs
    ) throws(ImagingError) -> Layout<Segmentation.Region> {
        let kept = try Segmentation.significant(map, limit: limit)
        let boxes = kept.map { GlyphBox(map.components[$0].box) }
        var lines = PageLayout.lines(boxes).map { line in
            attachingFragments(Segmentation.mergeOverlapping(line.map { kept[$0] }, of: map))
        }
        let dust = PageLayout.dustLines(lines.map { line in PageLayout.glyphHeight(line.map { GlyphBox($0.box) }) })
        lines = lines.indices.filter { !dust[$0] }.map { lines[$0] }
        let count = lines.reduce(0) { $0 + $1.count }
        if count > limit { throw .tooManyGlyphs(count: count, limit: limit) }
        return lines.map { regions in PageLayout.words(regions.map { GlyphBox($0.box) }).map { $0.map { regions[$0] } } }
    }

    /// `regions` (one line's, left to right) with each fragment merged into the glyph it
    /// belongs to and dust dropped (`PageLayout.fragmentRoles`), still left to right.
    static func attachingFragments(_ regions: [Segmentation.Region]) -> [Segmentation.Region] {
        let roles = PageLayout.fragmentRoles(regions.map { GlyphBox($0.box) })
        guard roles.contains(where: { $0 != .glyph }) else { return regions }
        var merged = regions
        for (index, role) in roles.enumerated() {
            guard case .joins(let owner) = role else { continue }
            merged[owner].box = merged[owner].box.union(regions[index].box)
            merged[owner].labels += regions[index].labels
        }
        return merged.indices.filter { roles[$0] == .glyph }.map { merged[$0] }
            .sorted { ($0.box.minX, $0.box.minY) < ($1.box.minX, $1.box.minY) }
    }

    /// Strokes laid out as a page: each glyph is a group of stroke indices (input order).
    /// Lines are found from the strokes' boxes; within a line, strokes whose horizontal
    /// extents overlap or touch form one glyph (`Segmentation.groupStrokes`).
    public static func strokeGroups(_ strokes: [[Point]], limit: Int = maxGlyphs) throws(ImagingError) -> Layout<[Int]> {
        let drawn = strokes.indices.filter { !strokes[$0].isEmpty }
        let boxes = drawn.compactMap { GlyphBox(bounding: [strokes[$0]]) }
        if boxes.isEmpty { throw .empty }
        var count = 0
        var layout: Layout<[Int]> = []
        for line in PageLayout.lines(boxes) {
            let indices = line.map { drawn[$0] }
            // Every stroke here is non-empty, so grouping cannot fail; the page limit is ours.
            let groups = ((try? Segmentation.groupStrokes(indices.map { strokes[$0] }, limit: Int.max)) ?? [])
                .map { $0.map { indices[$0] }.sorted() }
            count += groups.count
            let groupBoxes = groups.map { group in GlyphBox(bounding: group.map { strokes[$0] }) ?? GlyphBox(x: 0, y: 0, width: 0, height: 0) }
            layout.append(PageLayout.words(groupBoxes).map { $0.map { groups[$0] } })
        }
        if count > limit { throw .tooManyGlyphs(count: count, limit: limit) }
        return layout
    }
}
