// Loads Fixtures/parser-corpus.json: raw requests and the outcomes a strict
// parser must produce. The same file can drive a load tool or a fuzzer.

import Foundation
import Testing
@testable import HTTPServer

struct CorpusCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Equatable, Sendable {
        case request(method: String, target: String, body: [UInt8])
        case error(Int)
    }

    let name: String
    let bytes: [UInt8]
    let expect: [Outcome]

    var testDescription: String { name }
}

enum ParserCorpus {
    static let cases: [CorpusCase] = {
        guard let url = Bundle.module.url(forResource: "parser-corpus", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = root["cases"] as? [[String: Any]] else { return [] }
        return entries.compactMap { entry in
            guard let name = entry["name"] as? String, let request = entry["request"] as? String,
                  let expect = entry["expect"] as? [[String: Any]] else { return nil }
            let outcomes: [CorpusCase.Outcome] = expect.map { item in
                if let status = item["status"] as? Int { return .error(status) }
                return .request(
                    method: item["method"] as? String ?? "", target: item["target"] as? String ?? "",
                    body: latin1(item["body"] as? String ?? "")
                )
            }
            return CorpusCase(name: name, bytes: latin1(request), expect: outcomes)
        }
    }()

    /// One byte per character; the corpus stores bytes 0x80-0xFF as U+0080-U+00FF.
    static func latin1(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    /// Feeds `bytes` in the given pieces and collects outcomes until an error.
    static func run(_ pieces: [ArraySlice<UInt8>], limits: ParserLimits = ParserLimits()) -> [CorpusCase.Outcome] {
        var parser = RequestParser(limits: limits)
        var outcomes: [CorpusCase.Outcome] = []
        for piece in pieces {
            parser.append(piece)
            loop: while true {
                switch parser.next() {
                case .needMore: break loop
                case .expectsContinue: continue
                case .request(let request):
                    outcomes.append(.request(method: request.method, target: request.target, body: request.body))
                case .error(let status, _):
                    outcomes.append(.error(status.code))
                    return outcomes
                }
            }
        }
        return outcomes
    }
}
