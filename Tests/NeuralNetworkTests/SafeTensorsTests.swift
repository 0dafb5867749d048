import Foundation
import Testing
@testable import NeuralNetwork

/// The container checks, on hand-made byte strings.
@Suite struct SafeTensorsTests {
    func file(header: String, data: [UInt8] = []) -> Data {
        var bytes = Data()
        let json = Data(header.utf8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        bytes.append(contentsOf: data)
        return bytes
    }

    let oneFloat: [UInt8] = [0, 0, 0x80, 0x3F]  // 1.0 little-endian

    @Test func readsTensorsAndSkipsMetadata() throws {
        let bytes = file(header: #"{"__metadata__":{"a":"b"},"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: oneFloat)
        let parsed = try SafeTensors(bytes: bytes)
        #expect(parsed.entries.keys.sorted() == ["t"])
        let (shape, values) = try parsed.floats("t", layer: "l")
        #expect(shape == [1])
        #expect(values == [1])
    }

    @Test func refusesTruncatedFiles() {
        #expect(throws: ModelError.self) { try SafeTensors(bytes: Data([1, 2, 3])) }
        var bytes = Data()
        withUnsafeBytes(of: UInt64(1000).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array("{}".utf8))
        #expect(throws: ModelError.self) { try SafeTensors(bytes: bytes) }
    }

    @Test func refusesHeadersThatAreNotJSONObjects() {
        #expect(throws: ModelError.self) { try SafeTensors(bytes: file(header: "[1, 2]")) }
        #expect(throws: ModelError.self) { try SafeTensors(bytes: file(header: "{not json")) }
    }

    @Test func namesTheTensorWithTheWrongDType() {
        let bytes = file(header: #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: oneFloat)
        #expect(throws: ModelError.tensorDType(tensor: "w", dtype: "F16")) { try SafeTensors(bytes: bytes) }
    }

    @Test func namesTheTensorWhoseOffsetsLeaveTheFile() throws {
        let bytes = file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: oneFloat)
        let error = try #require(throws: ModelError.self) { try SafeTensors(bytes: bytes) }
        #expect(error.description.contains("'w'"))
    }

    @Test func refusesByteCountsThatDoNotMatchTheShape() throws {
        let bytes = file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: oneFloat)
        let error = try #require(throws: ModelError.self) { try SafeTensors(bytes: bytes) }
        #expect(error.description.contains("'w'"))
    }

    @Test func refusesOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let error = try #require(throws: ModelError.self) { try SafeTensors(bytes: file(header: header, data: oneFloat)) }
        guard case .tensorOffsets = error else {
            Issue.record("expected tensorOffsets, got \(error)")
            return
        }
    }
}
