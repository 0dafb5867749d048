/// Renders strokes into an anti-aliased, ink-bright grey image, exactly as
/// docs/preprocessing.md "Stroke rendering" specifies (the training code renders Quick, Draw!
/// the same way, so a drawing reaches the network in the form it learned from).
public enum StrokeRasterizer {
    /// The glyph's longer side in render pixels.
    public static let renderSize: Float = 64
    /// 12 % of the longer side: the stroke thickness MNIST digits have in their 20 px box.
    public static let lineWidth: Float = 0.12 * 64
    /// ceil(lineWidth / 2) + 2: the round caps never touch the image border.
    public static let margin = 6

    /// Validates (`StrokeLimits`, finite coordinates) and renders. Strokes without points are
    /// ignored; no points at all is `empty`.
    public static func render(_ strokes: [[Point]], limits: StrokeLimits = .default) throws(ImagingError) -> GreyImage {
        try Strokes.validate(strokes, limits: limits)
        guard let bounds = GlyphBox(bounding: strokes) else { throw .empty }

        // Geometry in Double so that far-apart coordinates cannot overflow; the mapped points
        // land in [margin, 64 + margin] and the per-pixel work is Float, as the contract says.
        let rawExtent = max(bounds.width, bounds.height)
        let extent = rawExtent < 1 ? 1 : rawExtent
        let k = Double(renderSize) / extent
        let m = Double(margin)
        let width = Int((bounds.width * k).rounded(.up)) + 2 * margin + 1
        let height = Int((bounds.height * k).rounded(.up)) + 2 * margin + 1
        var image = GreyImage(width: width, height: height)
        let map = { (p: Point) -> (Float, Float) in
            (Float((p.x - bounds.x) * k + m), Float((p.y - bounds.y) * k + m))
        }
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for stroke in strokes where !stroke.isEmpty {
                var previous = map(stroke[0])
                if stroke.count == 1 { drawSegment(previous, previous, into: pixels, width: width, height: height) }
                for point in stroke.dropFirst() {
                    let next = map(point)
                    drawSegment(previous, next, into: pixels, width: width, height: height)
                    previous = next
                }
            }
        }
        return image
    }

    /// Max-combines one round-capped segment into `pixels`, visiting only its padded box.
    private static func drawSegment(
        _ a: (Float, Float), _ b: (Float, Float), into pixels: UnsafeMutableBufferPointer<Float>,
        width: Int, height: Int
    ) {
        let halfWidth = lineWidth / 2
        let reach = halfWidth + 1
        let x0 = max(0, Int((min(a.0, b.0) - reach).rounded(.down)))
        let x1 = min(width - 1, Int((max(a.0, b.0) + reach).rounded(.up)))
        let y0 = max(0, Int((min(a.1, b.1) - reach).rounded(.down)))
        let y1 = min(height - 1, Int((max(a.1, b.1) + reach).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let dx = b.0 - a.0
        let dy = b.1 - a.1
        let lengthSquared = dx * dx + dy * dy
        let inverseLength: Float = lengthSquared > 0 ? 1 / lengthSquared : 0
        // Beyond this distance the intensity is 0; skipping the sqrt there halves the work.
        let cutoff = halfWidth + 0.5
        let cutoffSquared = cutoff * cutoff
        for py in y0...y1 {
            let cy = Float(py) + 0.5
            let row = py * width
            for px in x0...x1 {
                let cx = Float(px) + 0.5
                let ux = cx - a.0
                let uy = cy - a.1
                let t = min(max((ux * dx + uy * dy) * inverseLength, 0), 1)
                let ex = ux - t * dx
                let ey = uy - t * dy
                let distanceSquared = ex * ex + ey * ey
                if distanceSquared >= cutoffSquared { continue }
                let intensity = min(max(cutoff - distanceSquared.squareRoot(), 0), 1)
                if intensity > pixels[row + px] { pixels[row + px] = intensity }
            }
        }
    }
}
