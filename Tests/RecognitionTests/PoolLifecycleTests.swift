import Testing
import NeuralNetwork
@testable import Recognition

/// The pool's lifecycle only moves forward: warming up, ready, draining, stopping.
@Suite struct PoolLifecycleTests {
    @Test func aWarmUpThatEndsAfterShutdownBeganDoesNotMakeThePoolReady() async throws {
        let pool = try InferencePool(model: try PoolTestModel.make(width: 4), configuration: .init(workers: 1))
        await pool.shutdown(drainTimeout: .seconds(5))
        try pool.warmUp()
        #expect(!pool.isReady)
        #expect(!pool.stats.ready)
        await #expect(throws: PoolError.shuttingDown) {
            _ = try await pool.classify(PoolTestModel.glyphs(1, seed: 3))
        }
    }

    @Test func stagesAreTakenInOrderOnly() throws {
        let core = PoolCore(model: try PoolTestModel.make(width: 4), configuration: .init(workers: 1))
        #expect(core.lifecycle == .warmingUp && core.accepting && !core.ready)
        core.markReady()
        #expect(core.lifecycle == .ready && core.accepting && core.ready)
        core.stopAccepting()
        #expect(core.lifecycle == .draining && !core.accepting && !core.ready && !core.stopping)
        core.markReady()
        #expect(core.lifecycle == .draining)
        _ = core.abandonQueuedAndStop()
        #expect(core.lifecycle == .stopping && core.stopping && !core.accepting)
        core.stopAccepting()
        #expect(core.lifecycle == .stopping)
    }
}
