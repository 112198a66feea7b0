import MapDSL

/// Where each value of a JSON document starts (1-based line and column), by its path
/// (`conflicts.fields.Email`, `identity[1].left`), so a problem in a job file can name its line.
///
/// Runs over text the JSON parser has already accepted; on anything else it stops early and
/// reports what it found so far. Every loop advances, so it always terminates.
struct JSONLineMap {
    /// Positions by path.
    private(set) var positions: [String: (line: Int, column: Int)] = [:]

    /// Maps `text`.
    init(_ text: String) {
        let bytes = Array(text.utf8)
        var scanner = Scanner(bytes: bytes)
        scanner.value(path: "", depth: 0, into: &positions)
    }

    /// The line and column of the value at `path`, or of the closest enclosing value that has one.
    func position(_ path: String) -> (line: Int, column: Int)? {
        var path = path
        while true {
            if let found = positions[path] { return found }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return positions[""] }
            path = String(path[..<cut])
        }
    }

    /// The 1-based line and column of byte `offset` in `text`.
    static func position(ofByte offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for (i, byte) in text.utf8.enumerated() {
            if i >= offset { break }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var pos = 0
        var line = 1
        var column = 1
        static let maxDepth = 64

        mutating func advance() {
            guard pos < bytes.count else { return }
            if bytes[pos] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[pos] & 0xC0 != 0x80 {
                column += 1
            }
            pos += 1
        }

        mutating func skipSpace() {
            while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { advance() }
        }

        /// Reads a string token (the cursor on its opening quote) and returns its text.
        mutating func string() -> String {
            var out: [UInt8] = []
            advance()
            while pos < bytes.count, bytes[pos] != UInt8(ascii: "\"") {
                if bytes[pos] == UInt8(ascii: "\\") {
                    advance()
                    if pos < bytes.count { out.append(bytes[pos]) }
                } else {
                    out.append(bytes[pos])
                }
                advance()
            }
            advance()
            return String(decoding: out, as: UTF8.self)
        }

        mutating func value(path: String, depth: Int, into positions: inout [String: (line: Int, column: Int)]) {
            skipSpace()
            guard pos < bytes.count, depth < Self.maxDepth else { return }
            positions[path] = (line, column)
            switch bytes[pos] {
            case UInt8(ascii: "{"):
                advance()
                while true {
                    skipSpace()
                    guard pos < bytes.count else { return }
                    if bytes[pos] == UInt8(ascii: "}") {
                        advance()
                        return
                    }
                    if bytes[pos] == UInt8(ascii: ",") {
                        advance()
                        continue
                    }
                    guard bytes[pos] == UInt8(ascii: "\"") else { return }
                    let key = string()
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { return }
                    advance()
                    value(path: path.isEmpty ? key : path + "." + key, depth: depth + 1, into: &positions)
                }
            case UInt8(ascii: "["):
                advance()
                var index = 0
                while true {
                    skipSpace()
                    guard pos < bytes.count else { return }
                    if bytes[pos] == UInt8(ascii: "]") {
                        advance()
                        return
                    }
                    if bytes[pos] == UInt8(ascii: ",") {
                        advance()
                        continue
                    }
                    let start = pos
                    value(path: "\(path)[\(index)]", depth: depth + 1, into: &positions)
                    index += 1
                    if pos == start { return }
                }
            case UInt8(ascii: "\""):
                _ = string()
            default:
                let start = pos
                while pos < bytes.count,
                    ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(bytes[pos])
                {
                    advance()
                }
                if pos == start { advance() }
            }
        }
    }
}
