import Testing
@testable import Recognition

@Test func moduleLinks() { #expect(Bool(true)) }
