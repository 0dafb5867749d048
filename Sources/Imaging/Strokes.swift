/// A point in canvas coordinates, as the client sent it.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Limits on client-supplied drawings, enforced before any rendering.
public struct StrokeLimits: Equatable, Sendable {
    public var maxStrokes: Int
    public var maxPoints: Int

    public init(maxStrokes: Int = 500, maxPoints: Int = 10_000) {
        self.maxStrokes = maxStrokes
        self.maxPoints = maxPoints
    }

    public static let `default` = StrokeLimits()
}

public enum Strokes {
    /// Quick, Draw! stores a stroke as `[[x0, x1, …], [y0, y1, …]]` (sometimes with a third
    /// array of timestamps, ignored here). The coordinate lists are zipped; if their lengths
    /// differ the extra values are dropped, and a stroke without both lists has no points.
    public static func fromQuickDraw(_ strokes: [[[Double]]]) -> [[Point]] {
        strokes.map { stroke in
            guard stroke.count >= 2 else { return [] }
            return zip(stroke[0], stroke[1]).map { Point(x: $0, y: $1) }
        }
    }

    /// The `[[x, y], …]` per-stroke form; nil if any point is not exactly two numbers.
    public static func fromPairs(_ strokes: [[[Double]]]) -> [[Point]]? {
        var result: [[Point]] = []
        result.reserveCapacity(strokes.count)
        for stroke in strokes {
            var points: [Point] = []
            points.reserveCapacity(stroke.count)
            for pair in stroke {
                guard pair.count == 2 else { return nil }
                points.append(Point(x: pair[0], y: pair[1]))
            }
            result.append(points)
        }
        return result
    }

    /// Checks the limits and that every coordinate is finite (also as a 32-bit float, the
    /// precision the renderer works in).
    public static func validate(_ strokes: [[Point]], limits: StrokeLimits = .default) throws(ImagingError) {
        if strokes.count > limits.maxStrokes {
            throw .tooManyStrokes(count: strokes.count, limit: limits.maxStrokes)
        }
        let total = strokes.reduce(0) { $0 + $1.count }
        if total > limits.maxPoints { throw .tooManyPoints(count: total, limit: limits.maxPoints) }
        let largest = Double(Float.greatestFiniteMagnitude)
        for (strokeIndex, stroke) in strokes.enumerated() {
            for (pointIndex, point) in stroke.enumerated()
            where !(point.x.isFinite && point.y.isFinite && abs(point.x) <= largest && abs(point.y) <= largest) {
                throw .nonFiniteCoordinate(stroke: strokeIndex, point: pointIndex)
            }
        }
    }
}
