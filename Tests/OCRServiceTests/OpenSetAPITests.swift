import Foundation
import Testing
@testable import OCRService

/// Drawings of things that are none of the twelve known classes, posted the two ways a
/// client sends them, must read as `scribble` with the shipped model (its class or its
/// rejection threshold; `decision` says which).
@Suite(.serialized) struct OpenSetAPITests {
    typealias API = RecognitionAPITests

    /// A house as the page would send it: walls, a roof, a door and a window, five strokes.
    static let house: [[[Double]]] = [
        [[60, 130], [220, 130], [220, 250], [60, 250], [60, 130]],
        [[45, 135], [140, 40], [235, 135]],
        [[118, 250], [118, 190], [158, 190], [158, 250]],
        [[78, 150], [108, 150], [108, 175], [78, 175], [78, 150]],
        [[172, 150], [202, 150], [202, 175], [172, 175], [172, 150]],
    ]

    /// A cat seen from the side: body, head, ears, tail and legs.
    static let cat: [[[Double]]] = [
        ellipse(150, 170, 70, 38),
        ellipse(70, 115, 30, 27),
        [[48, 98], [52, 66], [68, 90]],
        [[74, 89], [90, 62], [96, 98]],
        [[218, 160], [245, 120], [236, 80], [250, 60]],
        [[100, 200], [96, 250]], [[125, 205], [125, 252]],
        [[180, 205], [182, 252]], [[205, 198], [212, 248]],
    ]

    static func ellipse(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) -> [[Double]] {
        (0...32).map { i in
            let a = Double(i) / 32 * 2 * Double.pi
            return [cx + rx * cos(a), cy + ry * sin(a)]
        }
    }

    /// A sun: a disc and eight rays. The model shipped before this test read it as a star.
    static let sun: [[[Double]]] = [ellipse(140, 140, 45, 45)] + (0..<8).map { k in
        let a = Double(k) / 8 * 2 * Double.pi
        return [[140 + 60 * cos(a), 140 + 60 * sin(a)], [140 + 100 * cos(a), 140 + 100 * sin(a)]]
    }

    /// A skull: a round head, a jaw, two eye sockets, a nose and teeth. The model shipped
    /// before this test read it as a smiley.
    static let skull: [[[Double]]] = [
        ellipse(140, 120, 80, 75), [[100, 190], [100, 240], [180, 240], [180, 190]],
        ellipse(110, 115, 18, 18), ellipse(170, 115, 18, 18), [[140, 140], [130, 165], [150, 165], [140, 140]],
        [[120, 215], [120, 240]], [[140, 215], [140, 240]], [[160, 215], [160, 240]],
    ]

    @Test(arguments: [("house", house), ("sun", sun), ("skull", skull)])
    func aDrawingOfAnotherThingSentAsStrokesReadsAsScribble(name: String, strokes: [[[Double]]]) async throws {
        try await API.withServer { port in
            let response = try await send(port: port, path: "/api/v1/recognize?top=13",
                                          headers: [("Content-Type", "application/json")],
                                          body: API.json(["strokes": strokes]))
            #expect(response.status == 200)
            #expect(response.json["label"] as? String == "scribble", "\(name): \(response.json)")
            #expect(["classified", "rejected"].contains(response.json["decision"] as? String ?? ""))
        }
    }

    @Test func aCatUploadedAsAPNGReadsAsScribble() async throws {
        let png = try API.png(Self.cat)
        try await API.withServer { port in
            let response = try await send(port: port, path: "/api/v1/recognize?top=13",
                                          headers: [("Content-Type", "image/png")], body: png)
            #expect(response.status == 200)
            #expect(response.json["label"] as? String == "scribble", "\(response.json)")
        }
    }
}
