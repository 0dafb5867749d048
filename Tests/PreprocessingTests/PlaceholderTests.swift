import Testing
@testable import Preprocessing

@Test func moduleLinks() { #expect(Bool(true)) }
