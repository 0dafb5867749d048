// The JSON shape of a recognition answer, written by hand: the response is small and on
// the hot path, and field order stays as documented.

import Foundation
import HTTPServer
import Recognition

enum RecognitionJSON {
    /// `text` symbols: digits as themselves, ★ star, ☺ smiley, ? scribble.
    static func symbol(_ label: String) -> String {
        switch label {
        case "star": return "★"
        case "smiley": return "☺"
        case "scribble": return "?"
        default: return label
        }
    }

    static func render(
        _ result: RecognitionResult, top: Int, debug: Bool, modelName: String, modelVersion: String,
        requestMs: Double = 0, totalMs: Double
    ) -> String {
        let headline = result.headline
        var out = "{"
        out += verdict(headline) + ","
        out += "\"top\":\(ranking(headline, top: top)),"
        out += "\"text\":\(JSON.quote(result.glyphs.map { symbol($0.answer.label) }.joined())),"
        out += "\"glyphs\":["
        for (index, glyph) in result.glyphs.enumerated() {
            if index > 0 { out += "," }
            let box = glyph.box
            out += "{" + verdict(glyph) + ","
            out += "\"box\":{\"x\":\(number(box.x)),\"y\":\(number(box.y)),"
            out += "\"width\":\(number(box.width)),\"height\":\(number(box.height))},"
            out += "\"top\":\(ranking(glyph, top: top))"
            if debug, let png = try? glyph.input.previewPNG() {
                out += ",\"preview\":\"data:image/png;base64,\(Data(png).base64EncodedString())\""
            }
            out += "}"
        }
        out += "],"
        out += "\"model\":{\"name\":\(JSON.quote(modelName)),\"version\":\(JSON.quote(modelVersion))},"
        let t = result.timings
        out += "\"timings_ms\":{\"request\":\(ms(requestMs)),\"decode\":\(ms(t.decode)),\"preprocess\":\(ms(t.preprocess)),"
        out += "\"queue\":\(ms(t.queue)),\"inference\":\(ms(t.inference)),\"total\":\(ms(totalMs))}"
        return out + "}"
    }

    /// `label`, `confidence` and `decision`: what the glyph reads as, after the rejection rule.
    static func verdict(_ glyph: RecognizedGlyph) -> String {
        let answer = glyph.answer
        return "\"label\":\(JSON.quote(answer.label)),\"confidence\":\(number(answer.confidence)),"
            + "\"decision\":\(JSON.quote(glyph.decision.rawValue))"
    }

    /// The network's raw ranking, so that a rejected glyph still shows what it resembled.
    static func ranking(_ glyph: RecognizedGlyph, top: Int) -> String {
        "[" + glyph.ranking.prefix(top).map {
            "{\"label\":\(JSON.quote($0.label)),\"confidence\":\(number($0.confidence))}"
        }.joined(separator: ",") + "]"
    }

    /// Probabilities to 6 decimals: enough to rank, short to send, always valid JSON.
    static func number(_ value: Float) -> String {
        let rounded = (Double(value) * 1e6).rounded() / 1e6
        return rounded.isFinite ? "\(rounded)" : "0"
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "0"
    }

    static func ms(_ value: Double) -> String {
        number((value * 1000).rounded() / 1000)
    }
}
