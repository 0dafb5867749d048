import Testing
@testable import OCRService

@Test func moduleLinks() { #expect(Bool(true)) }
