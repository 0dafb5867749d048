import Testing
import NeuralNetwork
@testable import Recognition

/// The pool against real threads and a real (small, random) model. Timing
/// only appears as "the test finishes", never as a measured bound. The tests of
/// the queue itself (refusals, deadlines, shutdown with glyphs queued) turn
/// `callerRuns` off: a submitter running its own glyph would both bypass the
/// queue they examine and, by keeping a thread of the test's busy, slow the
/// flood they rely on.
@Suite struct InferencePoolTests {
    @Test func concurrentSubmittersEachGetTheirOwnResults() async throws {
        let model = try PoolTestModel.make(width: 4)
        let pool = try InferencePool(model: model, configuration: .init(workers: 2, queueDepth: 256, maxBatch: 8,
                                                                        maxBatchDelay: .milliseconds(2)))
        let requests = (0 ..< 48).map { PoolTestModel.glyphs(1 + $0 % 3, seed: UInt64(100 + $0)) }
        let expected = try requests.map { try $0.map { try PoolTestModel.expected(model, $0) } }
        let results = try await withThrowingTaskGroup(of: (Int, PoolResult).self) { group in
            for (index, glyphs) in requests.enumerated() {
                group.addTask { (index, try await pool.classify(glyphs)) }
            }
            var collected: [Int: PoolResult] = [:]
            for try await (index, result) in group { collected[index] = result }
            return collected
        }
        for (index, want) in expected.enumerated() {
            let got = try #require(results[index]).probabilities
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) {
                let difference = zip(g, w).map { abs($0 - $1) }.max() ?? .infinity
                #expect(difference <= 1e-6, "request \(index)")
            }
        }
        let stats = pool.stats
        #expect(stats.completedGlyphs == requests.map(\.count).reduce(0, +))
        #expect(stats.queueDepth == 0)
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    @Test func queuedGlyphsAreBatchedTogether() async throws {
        let model = try PoolTestModel.make(width: 32)
        // Inference is optimized even in debug builds, so one glyph no longer keeps the worker busy
        // long enough to be sure the others queue behind it. A batch delay makes the grouping
        // certain: the worker holding the first glyph waits up to 500 ms for the other eleven.
        let pool = try InferencePool(model: model, configuration: .init(
            workers: 1, queueDepth: 64, maxBatch: 16, maxBatchDelay: .milliseconds(500), deadline: .seconds(600)))
        let glyphs = PoolTestModel.glyphs(12, seed: 9)
        let results = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, glyph) in glyphs.enumerated() {
                group.addTask { (index, try await pool.classify([glyph]).probabilities[0]) }
            }
            var collected: [Int: [Float]] = [:]
            for try await (index, p) in group { collected[index] = p }
            return collected
        }
        for (index, glyph) in glyphs.enumerated() {
            let want = try PoolTestModel.expected(model, glyph)
            let got = try #require(results[index])
            #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-6 })
        }
        // Twelve glyphs queued within the batch delay cannot all run alone.
        #expect(pool.stats.largestBatch > 1)
        #expect(pool.stats.batches < glyphs.count)
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    /// With nothing queued or running, a request runs on its caller's thread and never
    /// suspends; one larger than a batch, or any with a batch delay configured, goes through
    /// the workers. The answers are the same either way.
    @Test func aLoneRequestRunsOnItsCallersThread() async throws {
        let model = try PoolTestModel.make(width: 4)
        let pool = try InferencePool(model: model, configuration: .init(workers: 1, maxBatch: 2))
        // Only after a run of requests that each found the pool idle does a caller run its own.
        let streak = PoolCore.idleArrivalsBeforeCallerRuns
        for (index, glyph) in PoolTestModel.glyphs(streak - 1 + 5, seed: 21).enumerated() {
            let result = try await pool.classify([glyph])
            #expect(zip(result.probabilities[0], try PoolTestModel.expected(model, glyph)).allSatisfy { abs($0 - $1) <= 1e-6 })
            #expect(pool.stats.callerBatches == max(0, index + 2 - streak))
        }
        let three = PoolTestModel.glyphs(3, seed: 22)
        let result = try await pool.classify(three)
        for (got, glyph) in zip(result.probabilities, three) {
            #expect(zip(got, try PoolTestModel.expected(model, glyph)).allSatisfy { abs($0 - $1) <= 1e-6 })
        }
        let stats = pool.stats
        #expect(stats.callerBatches == 5)
        #expect(stats.batches == streak - 1 + 5 + 2)
        #expect(stats.acceptedGlyphs == streak - 1 + 5 + 3)
        #expect(stats.completedGlyphs == streak - 1 + 5 + 3)
        #expect(stats.busyWorkers == 0)
        await pool.shutdown(drainTimeout: .seconds(5))

        let delayed = try InferencePool(model: model, configuration: .init(workers: 1, maxBatch: 2,
                                                                           maxBatchDelay: .microseconds(1)))
        for glyph in PoolTestModel.glyphs(streak + 1, seed: 23) { _ = try await delayed.classify([glyph]) }
        #expect(delayed.stats.callerBatches == 0)
        #expect(delayed.stats.batches == streak + 1)
        await delayed.shutdown(drainTimeout: .seconds(5))
    }

    @Test func aMultiGlyphRequestComesBackInOrder() async throws {
        let model = try PoolTestModel.make(width: 4)
        let pool = try InferencePool(model: model, configuration: .init(workers: 2, maxBatch: 3))
        let glyphs = PoolTestModel.glyphs(10, seed: 77)
        let result = try await pool.classify(glyphs)
        #expect(result.probabilities.count == 10)
        for (got, glyph) in zip(result.probabilities, glyphs) {
            let want = try PoolTestModel.expected(model, glyph)
            #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-6 })
            #expect(abs(got.reduce(0, +) - 1) < 1e-5)
        }
        // The logits come back as the engine computed them (batched), and the probabilities are their softmax.
        #expect(result.logits.count == 10)
        for (got, glyph) in zip(result.logits, glyphs) {
            let want = try InferenceSession(model: model, maxBatch: 1).logits([glyph])[0]
            #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
        #expect(result.probabilities == result.logits.map { softmax($0) })
        #expect(result.queueWait >= .zero)
        #expect(result.inference > .zero)
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    @Test func aFullQueueRejectsImmediately() async throws {
        // Heavy enough (~130 MFLOP a glyph) that the one worker is still busy while all 24 are submitted,
        // even on the fastest kernels.
        let model = try PoolTestModel.make(width: 96)
        let pool = try InferencePool(model: model, configuration: .init(workers: 1, queueDepth: 4, maxBatch: 1, deadline: .seconds(600), callerRuns: false))
        let outcomes = await withTaskGroup(of: PoolError?.self) { group in
            for glyph in PoolTestModel.glyphs(24, seed: 5) {
                group.addTask {
                    do throws(PoolError) { _ = try await pool.classify([glyph]); return nil } catch { return error }
                }
            }
            var all: [PoolError?] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let rejected = outcomes.compactMap { $0 }
        // 24 submitted, one running and at most four waiting: most must be refused, none may hang.
        #expect(rejected.count >= 24 - 1 - 4 - 4)
        #expect(rejected.allSatisfy { $0 == .overloaded })
        #expect(pool.stats.rejectedOverloaded == rejected.count)
        // A request larger than the whole queue can never fit.
        await #expect(throws: PoolError.overloaded) { try await pool.classify(PoolTestModel.glyphs(5, seed: 1)) }
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    @Test func theSaturationCheckRefusesOnlyWhileTheQueueIsFull() async throws {
        // Heavy enough (~130 MFLOP a glyph) that 48 submitters keep a 4-deep queue full while
        // the one worker runs, even on the fastest kernels.
        let model = try PoolTestModel.make(width: 96)
        let pool = try InferencePool(model: model, configuration: .init(workers: 1, queueDepth: 4, maxBatch: 1, deadline: .seconds(600), callerRuns: false))
        // An idle pool has room: no refusal, nothing counted.
        #expect(throws: Never.self) { try pool.refuseIfSaturated() }
        #expect(pool.stats.rejectedOverloaded == 0)
        // Flood it and keep checking while the flood runs: the check must refuse at some point,
        // and every refusal must be counted with the pool's own rejections.
        let refusals = await withTaskGroup(of: Int.self) { group in
            for glyph in PoolTestModel.glyphs(48, seed: 9) {
                group.addTask {
                    do throws(PoolError) { _ = try await pool.classify([glyph]) } catch {}
                    return 0
                }
            }
            group.addTask {
                var refused = 0
                for _ in 0..<2000 {
                    do throws(PoolError) { try pool.refuseIfSaturated() } catch {
                        #expect(error == .overloaded)
                        refused += 1
                    }
                }
                return refused
            }
            return await group.reduce(0, +)
        }
        let stats = pool.stats
        #expect(refusals > 0)
        #expect(stats.rejectedOverloaded >= refusals)
        #expect(stats.completedGlyphs + stats.rejectedOverloaded - refusals == 48)
        // Drained: room again.
        #expect(throws: Never.self) { try pool.refuseIfSaturated() }
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    @Test func deadlinesFireForGlyphsStuckInTheQueue() async throws {
        // Heavy enough (~130 MFLOP a glyph) that one glyph outlasts the 500 µs deadline on the fastest kernels.
        let model = try PoolTestModel.make(width: 96)
        let pool = try InferencePool(model: model, configuration: .init(workers: 1, queueDepth: 256, maxBatch: 1,
                                                                        deadline: .microseconds(500), callerRuns: false))
        let outcomes = await withTaskGroup(of: PoolError?.self) { group in
            for glyph in PoolTestModel.glyphs(64, seed: 6) {
                group.addTask {
                    do throws(PoolError) { _ = try await pool.classify([glyph]); return nil } catch { return error }
                }
            }
            var all: [PoolError?] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let failures = outcomes.compactMap { $0 }
        #expect(!failures.isEmpty)
        #expect(failures.allSatisfy { $0 == .deadlineExceeded })
        #expect(pool.stats.rejectedDeadline == failures.count)
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    @Test func shutdownDrainsWhatIsQueuedThenRefusesNewWork() async throws {
        let model = try PoolTestModel.make(width: 16)
        let pool = try InferencePool(model: model, configuration: .init(workers: 1, maxBatch: 2, deadline: .seconds(600), callerRuns: false))
        let glyphs = PoolTestModel.glyphs(6, seed: 3)
        let tasks = glyphs.map { glyph in Task { try await pool.classify([glyph]) } }
        while pool.stats.acceptedGlyphs < glyphs.count { await Task.yield() }
        await pool.shutdown(drainTimeout: .seconds(600))
        for task in tasks {
            let result = try await task.value
            #expect(result.probabilities.count == 1)
        }
        #expect(pool.stats.completedGlyphs == glyphs.count)
        #expect(!pool.isReady)
        await #expect(throws: PoolError.shuttingDown) { try await pool.classify([glyphs[0]]) }
    }

    @Test func shutdownWithoutDrainTimeFailsTheQueuedRequests() async throws {
        // Heavy enough (~230 MFLOP a glyph) that 64 glyphs, one at a time, outlast the wait for
        // them all to be accepted, on a machine busy with the other suites.
        let model = try PoolTestModel.make(width: 128)
        let pool = try InferencePool(model: model, configuration: .init(workers: 1, maxBatch: 1, deadline: .seconds(600), callerRuns: false))
        let glyphs = PoolTestModel.glyphs(64, seed: 4)
        let tasks = glyphs.map { glyph in Task { () -> PoolError? in
            do throws(PoolError) { _ = try await pool.classify([glyph]); return nil } catch { return error }
        } }
        while pool.stats.acceptedGlyphs < glyphs.count { await Task.yield() }
        await pool.shutdown(drainTimeout: .zero)
        var outcomes: [PoolError?] = []
        for task in tasks { outcomes.append(await task.value) }
        let failed = outcomes.compactMap { $0 }
        #expect(failed.allSatisfy { $0 == .shuttingDown })
        #expect(failed.count + pool.stats.completedGlyphs == glyphs.count)
        #expect(!failed.isEmpty)
    }

    @Test func warmUpMakesThePoolReady() async throws {
        let pool = try InferencePool(model: try PoolTestModel.make(width: 4), configuration: .init(workers: 1))
        #expect(!pool.isReady)
        try pool.warmUp()
        #expect(pool.isReady)
        #expect(pool.stats.ready)
        await pool.shutdown(drainTimeout: .seconds(5))
    }

    @Test func badInputsAndConfigurationsAreRefused() async throws {
        let model = try PoolTestModel.make(width: 4)
        #expect(throws: PoolError.self) { try InferencePool(model: model, configuration: .init(workers: 0)) }
        #expect(throws: PoolError.self) { try InferencePool(model: model, configuration: .init(maxBatch: 0)) }
        let pool = try InferencePool(model: model, configuration: .init(workers: 1))
        await #expect(throws: PoolError.self) { try await pool.classify([[1, 2, 3]]) }
        let empty = try await pool.classify([])
        #expect(empty.probabilities.isEmpty)
        await pool.shutdown(drainTimeout: .seconds(5))
    }
}
