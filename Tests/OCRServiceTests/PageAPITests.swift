import Foundation
import Imaging
import Testing
@testable import OCRService

/// `mode=page` and `mode=auto` end to end: composed pages posted to a real server on 127.0.0.1.
@Suite(.serialized) struct PageAPITests {
    typealias API = RecognitionAPITests

    static func moved(_ strokes: [[[Double]]], _ dx: Double, _ dy: Double) -> [[[Double]]] {
        strokes.map { $0.map { [$0[0] + dx, $0[1] + dy] } }
    }

    /// Glyphs rendered on their own and set on a white page as dark ink: each line is a list
    /// of (drawing, left edge) pairs, lines `lineStep` px apart. Overlapping glyphs combine
    /// by maximum, so two set closer than their ink touch. `ruled`: each line written on a
    /// rule 2 px thick across the page, through the bottom of its lowest glyph.
    static func page(_ lines: [[([[[Double]]], Int)]], width: Int, lineStep: Int = 110, ruled: Bool = false) throws -> [UInt8] {
        let height = lines.count * lineStep + 40
        var ink = GreyImage(width: width, height: height)
        for (row, line) in lines.enumerated() {
            var bottom = 0
            for (drawing, left) in line {
                let glyph = try StrokeRasterizer.render(Strokes.fromPairs(drawing) ?? [])
                let top = 20 + row * lineStep
                for y in 0..<glyph.height { for x in 0..<glyph.width where left + x < width {
                    ink[left + x, top + y] = max(ink[left + x, top + y], glyph[x, y])
                    if glyph[x, y] > 0.5 { bottom = max(bottom, top + y) }
                } }
            }
            if ruled { for y in (bottom - 2)..<bottom { for x in 0..<width { ink[x, y] = max(ink[x, y], 0.6) } } }
        }
        return try PNGEncoder.encodeGrey(GreyImage(width: width, height: height, pixels: ink.pixels.map { 1 - $0 }))
    }

    static func post(_ port: Int, _ query: String, png: [UInt8]) async throws -> APIResponse {
        try await send(port: port, path: "/api/v1/recognize" + query, headers: [("Content-Type", "image/png")], body: png)
    }

    @Test func strokesReadAsLinesOfNumbers() async throws {
        let strokes = API.one + Self.moved(API.zero, 130, 0) + Self.moved(API.seven, 500, 0)
            + Self.moved(API.seven, 0, 300) + Self.moved(API.one, 150, 300) + Self.moved(API.zero, 500, 300)
        try await API.withServer { port in
            for query in ["?mode=page", ""] {
                let response = try await send(port: port, path: "/api/v1/recognize" + query,
                                              headers: [("Content-Type", "application/json")], body: API.json(["strokes": strokes]))
                #expect(response.status == 200)
                #expect(response.json["text"] as? String == "10 7\n71 0", "\(query): \(response.text)")
                #expect(response.json["label"] as? String == "10 7\n71 0")
                let lines = response.json["lines"] as? [[String: Any]] ?? []
                #expect(lines.compactMap { $0["text"] as? String } == ["10 7", "71 0"])
                let words = lines.first?["words"] as? [[String: Any]] ?? []
                #expect(words.compactMap { $0["text"] as? String } == ["10", "7"])
                let glyphs = (words.first?["glyphs"] as? [[String: Any]]) ?? []
                #expect(glyphs.count == 2 && glyphs.allSatisfy { $0["cut"] as? Bool == false })
                // The reading's confidence is the product of its glyphs'.
                let all = response.json["glyphs"] as? [[String: Any]] ?? []
                let product = all.compactMap { $0["confidence"] as? Double }.reduce(1, *)
                #expect(all.count == 6)
                #expect(abs((response.json["confidence"] as? Double ?? -1) - product) < 1e-4)
            }
        }
    }

    @Test func anImagePageDoesNotMergeLinesIntoColumns() async throws {
        // "10 7" over "71 0", glyphs of both lines in the same columns.
        let png = try Self.page([[(API.one, 20), (API.zero, 45), (API.seven, 170)],
                                 [(API.seven, 20), (API.one, 95), (API.zero, 190)]], width: 280)
        try await API.withServer { port in
            let page = try await Self.post(port, "?mode=page", png: png)
            #expect(page.status == 200)
            #expect(page.json["text"] as? String == "10 7\n71 0", "\(page.text)")
            let auto = try await Self.post(port, "", png: png)
            #expect(auto.json["text"] as? String == "10 7\n71 0")
            // mode=multi keeps its contract: one row, left to right, no lines.
            let multi = try await Self.post(port, "?mode=multi", png: png)
            #expect(multi.status == 200)
            #expect(multi.json["lines"] == nil)
        }
    }

    @Test func numbersWrittenOnRuledPaperReadAsWithoutTheRules() async throws {
        let lines = [[(API.one, 20), (API.zero, 45), (API.seven, 170)], [(API.seven, 20), (API.one, 95), (API.zero, 190)]]
        let png = try Self.page(lines, width: 280, ruled: true)
        try await API.withServer { port in
            for query in ["?mode=page", ""] {
                let page = try await Self.post(port, query, png: png)
                #expect(page.status == 200)
                #expect(page.json["text"] as? String == "10 7\n71 0", "\(query): \(page.text)")
            }
        }
    }

    @Test func debugPreviewsAreSentOnceNotAgainInLines() async throws {
        let png = try Self.page([[(API.one, 20), (API.zero, 45), (API.seven, 170)]], width: 280)
        try await API.withServer { port in
            let response = try await Self.post(port, "?mode=page&debug=true", png: png)
            #expect(response.status == 200)
            let glyphs = response.json["glyphs"] as? [[String: Any]] ?? []
            #expect(glyphs.count == 3 && glyphs.allSatisfy { ($0["preview"] as? String)?.hasPrefix("data:image/png;base64,") == true })
            let inLines = (response.json["lines"] as? [[String: Any]] ?? [])
                .flatMap { $0["words"] as? [[String: Any]] ?? [] }.flatMap { $0["glyphs"] as? [[String: Any]] ?? [] }
            #expect(inLines.count == 3 && inLines.allSatisfy { $0["preview"] == nil })
            // Otherwise the same objects.
            #expect(inLines.compactMap { $0["label"] as? String } == glyphs.compactMap { $0["label"] as? String })
            #expect(inLines.compactMap { $0["confidence"] as? Double } == glyphs.compactMap { $0["confidence"] as? Double })
        }
    }

    @Test func touchingDigitsAreCut() async throws {
        // A zero set so close to a one that their ink joins, then a separate seven.
        let png = try Self.page([[(API.one, 20), (API.zero, 28), (API.seven, 100)]], width: 200)
        try await API.withServer { port in
            let response = try await Self.post(port, "?mode=page", png: png)
            #expect(response.status == 200)
            #expect(response.json["text"] as? String == "107", "\(response.text)")
            let glyphs = response.json["glyphs"] as? [[String: Any]] ?? []
            #expect(glyphs.compactMap { $0["cut"] as? Bool } == [true, true, false], "\(response.text)")
        }
    }

    @Test func aStarAmongNumbersStaysAStar() async throws {
        // Nothing but digits is cut out of a slot; a star drawn between two numbers must not
        // come out as digits read from its points.
        let star: [[[Double]]] = [[[140, 20], [60, 260], [260, 110], [20, 110], [220, 260], [140, 20]]]
        let png = try Self.page([[(API.one, 20), (API.zero, 45), (star, 170), (API.seven, 320)]], width: 400)
        try await API.withServer { port in
            let response = try await Self.post(port, "?mode=page", png: png)
            #expect(response.status == 200)
            #expect(response.json["text"] as? String == "10 ★ 7", "\(response.text)")
        }
    }

    @Test func oneGlyphInAutoIsTheSingleAnswer() async throws {
        let png = try API.png(API.seven)
        try await API.withServer { port in
            let auto = try await Self.post(port, "", png: png)
            let single = try await Self.post(port, "?mode=single", png: png)
            #expect(auto.status == 200 && single.status == 200)
            #expect(auto.json["label"] as? String == "7")
            #expect(auto.json["lines"] == nil)
            #expect(auto.json["confidence"] as? Double == single.json["confidence"] as? Double)
            #expect((auto.json["top"] as? [Any])?.count == 3)
        }
    }

    @Test func partsInOneColumnAreOneGlyphInAutoAndLinesInPage() async throws {
        // A one over a seven, in the same column: two lines to the page layout, one glyph to a
        // left-to-right reading.
        let strokes = Self.moved(API.one, 0, 0).map { $0.map { [$0[0], $0[1] * 0.45] } }
            + Self.moved(API.seven, 0, 0).map { $0.map { [$0[0], 150 + $0[1] * 0.45] } }
        try await API.withServer { port in
            let body = API.json(["strokes": strokes])
            let auto = try await send(port: port, path: "/api/v1/recognize", headers: [("Content-Type", "application/json")], body: body)
            let single = try await send(port: port, path: "/api/v1/recognize?mode=single", headers: [("Content-Type", "application/json")], body: body)
            let page = try await send(port: port, path: "/api/v1/recognize?mode=page", headers: [("Content-Type", "application/json")], body: body)
            #expect(auto.status == 200 && single.status == 200 && page.status == 200)
            #expect(auto.json["lines"] == nil, "\(auto.text)")
            #expect(auto.json["label"] as? String == single.json["label"] as? String)
            #expect(auto.json["confidence"] as? Double == single.json["confidence"] as? Double)
            #expect((page.json["lines"] as? [Any])?.count == 2, "\(page.text)")
            #expect(page.json["text"] as? String == "1\n7", "\(page.text)")
        }
    }

    @Test func tooManyGlyphsIsAProblem() async throws {
        // 600 separate dots in a grid: over the page limit of 512.
        var ink = GreyImage(width: 600, height: 400, filledWith: 1)
        for row in 0..<20 { for column in 0..<30 { for y in 0..<8 { for x in 0..<8 {
            ink[column * 20 + 6 + x, row * 20 + 6 + y] = 0
        } } } }
        let png = try PNGEncoder.encodeGrey(ink)
        try await API.withServer { port in
            let response = try await Self.post(port, "?mode=page", png: png)
            #expect(response.status == 422)
            #expect((response.json["type"] as? String)?.hasSuffix("too-many-glyphs") == true)
            #expect((response.json["detail"] as? String)?.contains("600") == true, "\(response.text)")
        }
    }
}
