/// A rectangle in the input's own units (image pixels or canvas units).
public struct GlyphBox: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public init(_ box: PixelBox) {
        self.init(x: Double(box.minX), y: Double(box.minY), width: Double(box.width), height: Double(box.height))
    }

    /// The bounding box of every point of `strokes`, or nil if there are none.
    public init?(bounding strokes: [[Point]]) {
        var minX = Double.infinity, minY = Double.infinity
        var maxX = -Double.infinity, maxY = -Double.infinity
        for point in strokes.joined() {
            minX = min(minX, point.x)
            maxX = max(maxX, point.x)
            minY = min(minY, point.y)
            maxY = max(maxY, point.y)
        }
        guard minX <= maxX else { return nil }
        self.init(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }
}
