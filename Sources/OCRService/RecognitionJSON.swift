// The JSON shape of a recognition answer, written by hand: the response is small and on
// the hot path, and field order stays as documented.

import Foundation
import HTTPServer
import Imaging
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

    /// The whole input's reading and how sure it is: a page's text and joint confidence, or
    /// the glyphs' text and the headline glyph's confidence.
    static func reading(_ result: RecognitionResult) -> (text: String, confidence: Float) {
        if let text = result.pageText(symbol) { return (text, result.readingConfidence) }
        return (result.glyphs.map { symbol($0.answer.label) }.joined(), result.headline.answer.confidence)
    }

    static func render(
        _ result: RecognitionResult, top: Int, debug: Bool, modelName: String, modelVersion: String,
        requestMs: Double = 0, totalMs: Double, file: String? = nil
    ) -> String {
        // `ocr-server read --format json` names the file first, so a line says what it is about.
        var out = file.map { "{\"file\":\(JSON.quote($0))," } ?? "{"
        let glyphs = result.glyphs.map { glyph(glyph: $0, top: top, debug: debug, page: result.lines != nil) }
        let (text, confidence) = reading(result)
        if result.lines != nil {
            // A page reading: its label is the text, its confidence the product of the glyphs'
            // (Public/openapi.yaml, Recognition); no class ranking describes a whole reading.
            let decision = result.glyphs.allSatisfy { $0.decision == .classified } ? "classified" : "rejected"
            out += "\"label\":\(JSON.quote(text)),\"confidence\":\(number(confidence)),"
            out += "\"decision\":\"\(decision)\",\"top\":[],\"text\":\(JSON.quote(text)),"
        } else {
            let headline = result.headline
            out += verdict(headline) + ","
            out += "\"top\":\(ranking(headline, top: top)),"
            out += "\"text\":\(JSON.quote(text)),"
        }
        out += "\"glyphs\":[" + glyphs.joined(separator: ",") + "],"
        if let lines = result.lines {
            // The glyphs again, in their numbers, without the previews: `glyphs` has them once.
            let plain = debug ? result.glyphs.map { glyph(glyph: $0, top: top, debug: false, page: true) } : glyphs
            out += "\"lines\":" + self.lines(lines, of: result, glyphs: plain) + ","
        }
        out += "\"model\":{\"name\":\(JSON.quote(modelName)),\"version\":\(JSON.quote(modelVersion))},"
        let t = result.timings
        out += "\"timings_ms\":{\"request\":\(ms(requestMs)),\"decode\":\(ms(t.decode)),\"preprocess\":\(ms(t.preprocess)),"
        out += "\"queue\":\(ms(t.queue)),\"inference\":\(ms(t.inference)),\"total\":\(ms(totalMs))}"
        return out + "}"
    }

    /// One glyph's object; on a page it also says whether it was cut out of touching ink.
    static func glyph(glyph: RecognizedGlyph, top: Int, debug: Bool, page: Bool) -> String {
        var out = "{" + verdict(glyph) + ",\"box\":\(box(glyph.box)),\"top\":\(ranking(glyph, top: top))"
        if page { out += ",\"cut\":\(glyph.cut)" }
        if debug, let png = try? glyph.input.previewPNG() {
            out += ",\"preview\":\"data:image/png;base64,\(Data(png).base64EncodedString())\""
        }
        return out + "}"
    }

    /// `lines` of a page reading, each number holding its glyphs' objects (`glyphs`, already
    /// rendered in the order of `result.glyphs`).
    static func lines(_ lines: [ReadLine], of result: RecognitionResult, glyphs: [String]) -> String {
        func text(_ word: ReadWord) -> String { word.glyphs.map { symbol(result.glyphs[$0].answer.label) }.joined() }
        return "[" + lines.map { line in
            let words = line.words.map { word in
                "{\"text\":\(JSON.quote(text(word))),\"box\":\(box(word.box)),\"confidence\":\(number(word.confidence)),"
                    + "\"glyphs\":[" + word.glyphs.map { glyphs[$0] }.joined(separator: ",") + "]}"
            }
            return "{\"text\":\(JSON.quote(line.words.map(text).joined(separator: " "))),\"box\":\(box(line.box)),"
                + "\"words\":[" + words.joined(separator: ",") + "]}"
        }.joined(separator: ",") + "]"
    }

    static func box(_ box: GlyphBox) -> String {
        "{\"x\":\(number(box.x)),\"y\":\(number(box.y)),\"width\":\(number(box.width)),\"height\":\(number(box.height))}"
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
