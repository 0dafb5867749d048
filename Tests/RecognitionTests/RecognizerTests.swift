import Imaging
import Testing
@testable import Recognition

@Suite struct RecognizerTests {
    /// 24 one-glyph drawings at once into a pool with room for four: the service's recognizer
    /// refuses some (the client hears 503), the batch reader's waits and reads them all.
    @Test func waitingForCapacityReadsEverythingAFullQueueRefuses() async throws {
        let model = try PoolTestModel.make(width: 192)  // ~520 MFLOP a glyph: the worker stays busy
        let stroke = [Point(x: 10, y: 10), Point(x: 40, y: 60), Point(x: 70, y: 15)]
        func flood(_ recognizer: Recognizer) async -> [RecognitionError?] {
            await withTaskGroup(of: RecognitionError?.self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        do throws(RecognitionError) { _ = try await recognizer.recognize(.strokes([stroke]), mode: .single); return nil }
                        catch { return error }
                    }
                }
                var all: [RecognitionError?] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
        }
        let configuration = PoolConfiguration(workers: 1, queueDepth: 4, maxBatch: 1, deadline: .seconds(600), callerRuns: false)

        let refusing = Recognizer(pool: try InferencePool(model: model, configuration: configuration))
        let refused = await flood(refusing).compactMap { $0 }
        #expect(!refused.isEmpty && refused.allSatisfy { $0 == .pool(.overloaded) })
        await refusing.pool.shutdown(drainTimeout: .seconds(5))

        var waiting = Recognizer(pool: try InferencePool(model: model, configuration: configuration))
        waiting.waitsForCapacity = true
        let outcomes = await flood(waiting)
        #expect(outcomes.allSatisfy { $0 == nil })
        let stats = waiting.pool.stats
        #expect(stats.rejectedOverloaded > 0)  // the pool did refuse: the recognizer waited and resubmitted
        #expect(stats.completedGlyphs == 24)
        await waiting.pool.shutdown(drainTimeout: .seconds(5))
    }
}
