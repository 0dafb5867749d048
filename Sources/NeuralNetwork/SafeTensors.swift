import Foundation

/// A parsed safetensors file: the header's tensor table and the raw bytes.
///
/// Parsing validates the container (header length, JSON, dtypes, offsets
/// inside the data region, byte counts matching the shapes, no overlaps);
/// whether a tensor's shape suits its layer is checked by the model builder.
struct SafeTensors: Sendable {
    struct Entry: Sendable {
        var shape: [Int]
        /// Byte range relative to the start of the data region.
        var range: Range<Int>
    }

    let entries: [String: Entry]
    private let bytes: Data
    private let dataStart: Int

    init(bytes: Data) throws(ModelError) {
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw .safetensors("file is \(bytes.count) bytes, too short for the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for (i, byte) in bytes.prefix(8).enumerated() {
            headerLength |= UInt64(byte) << (8 * UInt64(i))
        }
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8) else {
            throw .safetensors("header length \(headerLength) does not fit in a file of \(bytes.count) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        let header = bytes[bytes.startIndex + 8 ..< bytes.startIndex + headerEnd]
        guard header.first == UInt8(ascii: "{") else {
            throw .safetensors("header does not start with '{' (not a safetensors file?)")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw .safetensors("header is not valid JSON: \(error.localizedDescription)")
        }
        guard let table = json as? [String: Any] else {
            throw .safetensors("header is not a JSON object")
        }
        dataStart = headerEnd
        let dataSize = bytes.count - headerEnd
        var entries: [String: Entry] = [:]
        for (name, value) in table where name != "__metadata__" {
            entries[name] = try Self.entry(name: name, value: value, dataSize: dataSize)
        }
        let sorted = entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.value.range.overlaps(next.value.range) {
            throw .tensorOffsets(tensor: next.key, reason: "overlaps tensor '\(previous.key)'")
        }
        self.entries = entries
    }

    private static func entry(name: String, value: Any, dataSize: Int) throws(ModelError) -> Entry {
        guard let fields = value as? [String: Any] else {
            throw .safetensors("entry '\(name)' is not an object")
        }
        guard let dtype = fields["dtype"] as? String else {
            throw .safetensors("entry '\(name)' has no dtype")
        }
        guard dtype == "F32" else { throw .tensorDType(tensor: name, dtype: dtype) }
        guard let shapeValues = fields["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
            throw .safetensors("entry '\(name)' has no valid shape")
        }
        guard let offsetValues = fields["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2 else {
            throw .tensorOffsets(tensor: name, reason: "data_offsets must be two integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw .tensorOffsets(tensor: name, reason: "[\(begin), \(end)] is outside the data region of \(dataSize) bytes")
        }
        let (count, overflow) = shape.reduce((1, false)) { partial, dim in
            let product = partial.0.multipliedReportingOverflow(by: dim)
            return (product.partialValue, partial.1 || product.overflow)
        }
        let byteCount = count.multipliedReportingOverflow(by: 4)
        guard !overflow, !byteCount.overflow, end - begin == byteCount.partialValue else {
            throw .tensorOffsets(tensor: name, reason: "\(end - begin) bytes do not hold shape \(shape) of F32")
        }
        return Entry(shape: shape, range: begin ..< end)
    }

    /// JSON numbers arrive as NSNumber; only exact non-fractional values count as integers.
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue) else { return nil }
            result.append(int)
        }
        return result
    }

    /// The tensor's values as little-endian F32, copied out of the file.
    func floats(_ name: String, layer: String) throws(ModelError) -> (shape: [Int], values: [Float]) {
        guard let entry = entries[name] else { throw .tensorMissing(tensor: name, layer: layer) }
        let count = entry.range.count / 4
        let start = bytes.startIndex + dataStart + entry.range.lowerBound
        var values = [Float](repeating: 0, count: count)
        _ = values.withUnsafeMutableBytes { destination in
            bytes.copyBytes(to: destination, from: start ..< start + entry.range.count)
        }
        #if _endian(big)
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        #endif
        return (entry.shape, values)
    }
}
