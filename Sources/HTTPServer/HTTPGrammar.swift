// Byte classes from RFC 9110/9112 and RFC 3986, as lookup tables so the parser
// never allocates to classify a byte.

enum Grammar {
    /// tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA.
    static let token: [Bool] = table { byte in
        isAlnum(byte) || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }

    /// Bytes allowed inside a field value: HTAB, SP, VCHAR and obs-text.
    /// Everything else (NUL, CR, LF, other controls, DEL) is rejected.
    static let fieldValue: [Bool] = table { byte in
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Bytes allowed in an origin-form or absolute-form target (RFC 3986
    /// pchar plus "/" and "?"; "%" is checked separately for two hex digits).
    /// Anything else, including "#", "\\", "{", "|", quotes and angle brackets, is rejected
    /// (a fragment is split off before the target is checked: `parseRequestLine`).
    static let target: [Bool] = table { byte in
        isAlnum(byte) || Array("-._~!$&'()*+,;=:@/?%".utf8).contains(byte)
    }

    /// Bytes allowed in a Host value: reg-name / IP literal characters and a port.
    static let host: [Bool] = table { byte in
        isAlnum(byte) || Array("-._~!$&'()*+,;=:[]%".utf8).contains(byte)
    }

    static func isHex(_ byte: UInt8) -> Bool { hexValue(byte) != nil }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    static func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isTokenBytes(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { token[Int($0)] }
    }

    /// Every "%" is followed by two hex digits and every byte is in `allowed`.
    static func isValidEncoded(_ bytes: ArraySlice<UInt8>, allowed: [Bool]) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard allowed[Int(byte)] else { return false }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                      isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }

    private static func table(_ predicate: (UInt8) -> Bool) -> [Bool] {
        (0...255).map { predicate(UInt8($0)) }
    }
}
