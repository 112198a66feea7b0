/// A half-open range of UTF-8 byte offsets into a mapping's source text.
public struct SourceSpan: Sendable, Hashable, Codable {
    /// Offset of the first byte.
    public var start: Int
    /// Offset one past the last byte.
    public var end: Int

    /// Creates a span from `start` up to, not including, `end`.
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    /// A span covering both spans and everything between them.
    public func union(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(min(start, other.start), max(end, other.end))
    }

    /// An empty span at offset `at`.
    public static func point(_ at: Int) -> SourceSpan { SourceSpan(at, at) }
}

/// A line and column, both 1-based; the column counts characters, not bytes.
public struct SourceLocation: Sendable, Hashable, Codable {
    /// 1-based line number.
    public var line: Int
    /// 1-based column, in characters.
    public var column: Int
}

/// The text of one mapping file with fast offset → line/column conversion.
public struct SourceText: Sendable {
    /// The path shown in diagnostics.
    public let path: String
    /// The full text.
    public let text: String
    /// The text as UTF-8 bytes (what spans index into).
    public let bytes: [UInt8]
    private let lineStarts: [Int]

    /// Wraps `text`, shown in diagnostics as `path`. Lines may end in `\n`, `\r\n` or `\r`;
    /// they are read as `\n` (spans index the text so normalised).
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// Wraps the bytes of a file, which need not be UTF-8: the lexer reports the bytes that are
    /// not (``DiagnosticCode/invalidUTF8``), and ``text`` has U+FFFD in their place.
    public init(path: String, bytes raw: [UInt8]) {
        self.path = path
        var bytes = raw
        if raw.contains(UInt8(ascii: "\r")) {
            bytes.removeAll(keepingCapacity: true)
            var i = 0
            while i < raw.count {
                let b = raw[i]
                if b == UInt8(ascii: "\r") {
                    bytes.append(UInt8(ascii: "\n"))
                    if i + 1 < raw.count, raw[i + 1] == UInt8(ascii: "\n") { i += 1 }
                } else {
                    bytes.append(b)
                }
                i += 1
            }
        }
        self.bytes = bytes
        self.text = String(decoding: bytes, as: UTF8.self)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            starts.append(i + 1)
        }
        self.lineStarts = starts
    }

    /// Number of lines (a trailing newline does not start a new line).
    public var lineCount: Int {
        if let last = lineStarts.last, last == bytes.count, lineStarts.count > 1 { return lineStarts.count - 1 }
        return lineStarts.count
    }

    /// The 1-based line containing byte `offset`.
    public func line(of offset: Int) -> Int {
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    /// Line and character column of byte `offset`.
    public func location(of offset: Int) -> SourceLocation {
        let line = line(of: offset)
        let start = lineStarts[line - 1]
        let clamped = min(max(offset, start), bytes.count)
        let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
        return SourceLocation(line: line, column: prefix.count + 1)
    }

    /// The text of 1-based `line`, without its newline.
    public func lineText(_ line: Int) -> String {
        let r = lineRange(line)
        return String(decoding: bytes[r], as: UTF8.self)
    }

    /// The byte range of 1-based `line`, without its newline (empty for a line that does not exist).
    public func lineRange(_ line: Int) -> Range<Int> {
        guard line >= 1, line <= lineStarts.count else { return 0..<0 }
        let start = lineStarts[line - 1]
        let end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        return start..<max(start, end)
    }

    /// The source text covered by `span`.
    public func slice(_ span: SourceSpan) -> String {
        let s = min(max(0, span.start), bytes.count)
        let e = min(max(s, span.end), bytes.count)
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }
}
