import Testing
@testable import HTTPServer

@Suite struct RequestParserTests {
    @Test func corpusLoaded() {
        #expect(ParserCorpus.cases.count > 90)
    }

    @Test(arguments: ParserCorpus.cases)
    func corpusInOneRead(_ item: CorpusCase) {
        #expect(ParserCorpus.run([item.bytes[...]]) == item.expect)
    }

    /// Every case split in two at every byte offset (sampled for the few very long ones).
    @Test(arguments: ParserCorpus.cases)
    func corpusSplitAtEveryOffset(_ item: CorpusCase) {
        let bytes = item.bytes
        let offsets = bytes.count <= 1500 ? Array(1..<bytes.count) : Array(stride(from: 1, to: bytes.count, by: bytes.count / 97))
        for offset in offsets {
            let outcome = ParserCorpus.run([bytes[..<offset], bytes[offset...]])
            #expect(outcome == item.expect, "split at \(offset)")
        }
    }

    @Test(arguments: ParserCorpus.cases.filter { $0.bytes.count <= 1500 })
    func corpusOneByteAtATime(_ item: CorpusCase) {
        let pieces = item.bytes.indices.map { item.bytes[$0...$0] }
        #expect(ParserCorpus.run(pieces) == item.expect)
    }

    @Test func headersAndVersionAreParsed() throws {
        var parser = RequestParser()
        parser.append(Array("GET /a/b?x=1 HTTP/1.0\r\nConnection: keep-alive\r\nX-Two: a\r\nx-two: b\r\n\r\n".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.path == "/a/b")
        #expect(request.query == "x=1")
        #expect(request.queryValue("x") == "1")
        #expect(request.version == .http10)
        #expect(request.wantsKeepAlive)
        #expect(request.headers.values("X-TWO") == ["a", "b"])
        #expect(parser.isIdle)
    }

    @Test func expectContinueIsAnnouncedOnceBeforeTheBody() {
        var parser = RequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n".utf8))
        guard case .expectsContinue = parser.next() else {
            Issue.record("expected a 100-continue event")
            return
        }
        guard case .needMore = parser.next() else {
            Issue.record("announced twice")
            return
        }
        parser.append(Array("body".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.body == Array("body".utf8))
    }

    @Test func chunkedBodyOverTheLimitIs413() {
        var limits = ParserLimits()
        limits.maxBodyBytes = 10
        let request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"
        #expect(ParserCorpus.run([ArraySlice(request.utf8)], limits: limits) == [.error(413)])
    }

    @Test func contentLengthOverTheLimitIsRefusedBeforeTheBody() {
        var limits = ParserLimits()
        limits.maxBodyBytes = 10
        // Only the head is sent: the 413 must not wait for the body.
        let head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
        #expect(ParserCorpus.run([ArraySlice(head.utf8)], limits: limits) == [.error(413)])
    }

    @Test func errorsAreSticky() {
        var parser = RequestParser()
        parser.append(Array("GET / HTTP/3.0\r\n\r\n".utf8))
        guard case .error(let first, _) = parser.next() else {
            Issue.record("no error")
            return
        }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        guard case .error(let second, _) = parser.next() else {
            Issue.record("parser recovered after an error")
            return
        }
        #expect(first.code == 505)
        #expect(second == first)
    }

    @Test func longRequestLineIsRefusedWithoutItsEnd() {
        var parser = RequestParser()
        parser.append(Array(("GET /" + String(repeating: "a", count: 9000)).utf8))
        guard case .error(let status, _) = parser.next() else {
            Issue.record("no error")
            return
        }
        #expect(status.code == 414)
    }

    @Test func largeHeaderSectionIsRefusedWithoutItsEnd() {
        var parser = RequestParser()
        parser.append(Array(("GET / HTTP/1.1\r\nX-A: " + String(repeating: "a", count: 17000)).utf8))
        guard case .error(let status, _) = parser.next() else {
            Issue.record("no error")
            return
        }
        #expect(status.code == 431)
    }
}
