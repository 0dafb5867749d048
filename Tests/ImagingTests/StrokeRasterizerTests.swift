import Testing
@testable import Imaging

@Suite struct StrokeRasterizerTests {
    @Test func imageSizeFollowsTheContract() throws {
        // 200 x 100 canvas units: k = 64 / 200, W = ceil(64) + 13, H = ceil(32) + 13.
        let image = try StrokeRasterizer.render([[Point(x: 10, y: 20), Point(x: 210, y: 120)]])
        #expect(image.width == 77 && image.height == 45)
    }

    @Test func horizontalLineHasTheDocumentedProfile() throws {
        // From (0,0) to (100,0): render points (6,6)..(70,6); lw/2 + 0.5 = 4.34.
        let image = try StrokeRasterizer.render([[Point(x: 0, y: 0), Point(x: 100, y: 0)]])
        #expect(image.width == 77 && image.height == 13)
        let column = 38
        for y in 0..<image.height {
            let d = abs(Float(y) + 0.5 - 6)
            let expected = min(max(StrokeRasterizer.lineWidth / 2 + 0.5 - d, 0), 1)
            #expect(abs(image[column, y] - expected) < 1e-5, "row \(y)")
        }
        // Round cap: beyond the end point the ink fades with the distance to (70, 6).
        let d = (Float(74) + 0.5 - 70) - 0  // pixel (74, 5) centre (74.5, 5.5)
        let capDistance = (d * d + 0.25).squareRoot()
        #expect(abs(image[74, 5] - min(max(4.34 - capDistance, 0), 1)) < 1e-4)
        #expect(image[0, 0] == 0 && image[76, 12] == 0)
    }

    @Test func aLoneDotStillDrawsInk() throws {
        let image = try StrokeRasterizer.render([[Point(x: 50, y: 50)]])
        // extent 1 → k = 64, W = H = 13; a disc of radius ~4.3 at (6, 6).
        #expect(image.width == 13 && image.height == 13)
        #expect(image[6, 6] == 1)
        #expect(image.pixels.filter { $0 > 0 }.count > 40)
        #expect(image[0, 0] == 0)
    }

    @Test func strokesCombineByMaximum() throws {
        let a = [Point(x: 0, y: 0), Point(x: 100, y: 100)]
        let b = [Point(x: 0, y: 100), Point(x: 100, y: 0)]
        let both = try StrokeRasterizer.render([a, b])
        let onlyA = try StrokeRasterizer.render([a, [Point(x: 0, y: 100)]])
        #expect(both.width == onlyA.width)
        #expect(both.pixels.max() == 1)
        #expect(zip(both.pixels, onlyA.pixels).allSatisfy { $0 >= $1 })
        #expect(both.pixels.allSatisfy { $0 <= 1 && $0 >= 0 })
    }

    @Test func scaleIsIndependentOfCanvasUnits() throws {
        let small = try StrokeRasterizer.render([[Point(x: 0, y: 0), Point(x: 10, y: 5)]])
        let large = try StrokeRasterizer.render([[Point(x: 0, y: 0), Point(x: 1000, y: 500)]])
        #expect(small.width == large.width && small.height == large.height)
        #expect(zip(small.pixels, large.pixels).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func emptyAndInvalidInput() {
        #expect(caught { try StrokeRasterizer.render([]) } == .empty)
        #expect(caught { try StrokeRasterizer.render([[], []]) } == .empty)
        #expect(caught { try StrokeRasterizer.render([[Point(x: .nan, y: 0)]]) } == .nonFiniteCoordinate(stroke: 0, point: 0))
    }
}
