import Testing
@testable import NeuralNetwork

@Test func moduleLinks() { #expect(Bool(true)) }
