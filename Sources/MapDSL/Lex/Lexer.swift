/// Splits mapping source into tokens; never fails: bad characters become diagnostics and `.invalid` tokens.
public struct Lexer {
    private let bytes: [UInt8]
    private var pos = 0
    private var lineHasCode = false
    /// Tokens produced so far.
    public private(set) var tokens: [Token] = []
    /// Comments, in order.
    public private(set) var comments: [Comment] = []
    /// Lexical diagnostics.
    public private(set) var diagnostics: [Diagnostic] = []
    /// Diagnostics not kept past ``maxDiagnostics``, and where the first of them was.
    private var dropped = 0
    private var firstDropped: Diagnostic?

    /// The most diagnostics kept for one file; the rest are summed up in one last diagnostic.
    public static let maxDiagnostics = 1000

    /// Lexes all of `source`.
    public static func lex(_ source: SourceText) -> Lexer {
        var l = Lexer(bytes: source.bytes)
        l.run()
        return l
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func peek(_ k: Int = 0) -> UInt8 {
        pos + k < bytes.count ? bytes[pos + k] : 0
    }

    private mutating func add(_ kind: TokenKind, _ start: Int, _ text: String = "") {
        tokens.append(Token(kind: kind, span: SourceSpan(start, pos), text: text))
        if kind != .newline { lineHasCode = true }
    }

    private static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }

    private static func isIdentPart(_ b: UInt8) -> Bool {
        isIdentStart(b) || (b >= 0x30 && b <= 0x39)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Keeps `d`, or counts it once ``maxDiagnostics`` are kept; a problem right after one just
    /// like it (the same code and message) widens that one instead.
    private mutating func report(_ d: Diagnostic) {
        if let last = diagnostics.last, last.code == d.code, last.message == d.message, last.span.end == d.span.start,
            last.help == d.help
        {
            diagnostics[diagnostics.count - 1].span = last.span.union(d.span)
            return
        }
        if diagnostics.count < Lexer.maxDiagnostics {
            diagnostics.append(d)
        } else {
            if firstDropped == nil { firstDropped = d }
            dropped += 1
        }
    }

    /// Reports every run of bytes that is not UTF-8.
    private mutating func checkUTF8() {
        let found: [SourceSpan] = bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return [] }
            var runs: [SourceSpan] = []
            var i = 0
            while i < buf.count, let bad = ByteScan.firstInvalidUTF8(base + i, buf.count - i) {
                let start = i + bad
                var end = start + 1
                // The run: bytes up to where well-formed text starts again.
                while end < buf.count, ByteScan.firstInvalidUTF8(base + end, min(4, buf.count - end)) == 0 { end += 1 }
                runs.append(SourceSpan(start, end))
                i = end
                if runs.count > Lexer.maxDiagnostics { break }
            }
            return runs
        }
        for run in found {
            let n = run.end - run.start
            report(
                Diagnostic(
                    .invalidUTF8, "\(n == 1 ? "this byte is" : "these \(n) bytes are") not UTF-8 text", at: run,
                    help: "save the file as UTF-8"))
        }
    }

    private mutating func run() {
        checkUTF8()
        // Skip a UTF-8 byte order mark.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
        while pos < bytes.count {
            let start = pos
            let b = bytes[pos]
            switch b {
            case 0x20, 0x09, 0x0D:
                pos += 1
            case 0x0A:
                pos += 1
                add(.newline, start)
                lineHasCode = false
            case UInt8(ascii: "#"):
                while pos < bytes.count, bytes[pos] != 0x0A { pos += 1 }
                var text = String(decoding: bytes[(start + 1)..<pos], as: UTF8.self)
                if text.hasSuffix("\r") { text.removeLast() }
                comments.append(Comment(text: text, span: SourceSpan(start, pos), trailing: lineHasCode))
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                lexString(quote: b)
            case UInt8(ascii: "`"):
                lexQuotedIdentifier()
            case _ where Lexer.isDigit(b):
                lexNumber()
            case _ where Lexer.isIdentStart(b):
                while pos < bytes.count, Lexer.isIdentPart(bytes[pos]) { pos += 1 }
                let text = String(decoding: bytes[start..<pos], as: UTF8.self)
                add(TokenKind.keywords[text] ?? .identifier, start, text)
            default:
                lexOperator(start)
            }
        }
        if lineHasCode { add(.newline, pos) }
        add(.eof, pos)
        if let first = firstDropped {
            diagnostics.append(
                Diagnostic(
                    first.code, "\(dropped) more problems like the ones above are not listed", at: first.span,
                    help: "is this a mapping file? mapping files are short UTF-8 text"))
        }
    }

    private mutating func lexOperator(_ start: Int) {
        let b = bytes[pos]
        let n = peek(1)
        func two(_ kind: TokenKind) {
            pos += 2
            add(kind, start)
        }
        func one(_ kind: TokenKind) {
            pos += 1
            add(kind, start)
        }
        switch b {
        case UInt8(ascii: "-"): n == UInt8(ascii: ">") ? two(.arrow) : one(.minus)
        case UInt8(ascii: "="):
            if n == UInt8(ascii: ">") {
                two(.fatArrow)
            } else if n == UInt8(ascii: "=") {
                two(.eq)
            } else {
                one(.assign)
            }
        case UInt8(ascii: "!"): n == UInt8(ascii: "=") ? two(.ne) : one(.kwNot)
        case UInt8(ascii: "<"):
            if n == UInt8(ascii: "=") {
                two(.le)
            } else if n == UInt8(ascii: ">") {
                two(.ne)
            } else {
                one(.lt)
            }
        case UInt8(ascii: ">"): n == UInt8(ascii: "=") ? two(.ge) : one(.gt)
        case UInt8(ascii: "+"): one(.plus)
        case UInt8(ascii: "*"): one(.star)
        case UInt8(ascii: "/"): one(.slash)
        case UInt8(ascii: "%"): one(.percent)
        case UInt8(ascii: "?"):
            if n == UInt8(ascii: "?") {
                two(.coalesce)
            } else if n == UInt8(ascii: ".") {
                two(.optionalDot)
            } else {
                invalid(start, "`?` is not an operator here", help: "use `??` for a default or `?.` after a lookup")
            }
        case UInt8(ascii: "&"):
            if n == UInt8(ascii: "&") {
                two(.kwAnd)
            } else {
                invalid(start, "`&` is not an operator", help: "write `and` (or `&&`)")
            }
        case UInt8(ascii: "|"):
            if n == UInt8(ascii: "|") {
                two(.kwOr)
            } else {
                invalid(start, "`|` is not an operator", help: "write `or` (or `||`)")
            }
        case UInt8(ascii: "."): one(.dot)
        case UInt8(ascii: ","): one(.comma)
        case UInt8(ascii: "("): one(.lparen)
        case UInt8(ascii: ")"): one(.rparen)
        case UInt8(ascii: "{"): one(.lbrace)
        case UInt8(ascii: "}"): one(.rbrace)
        default:
            // Consume one whole UTF-8 scalar (one byte when it is not UTF-8: already reported).
            var len = 1
            if b >= 0xF0 { len = 4 } else if b >= 0xE0 { len = 3 } else if b >= 0xC0 { len = 2 }
            let end = min(bytes.count, pos + len)
            let valid = bytes.withUnsafeBufferPointer { ByteScan.firstInvalidUTF8($0.baseAddress! + pos, end - pos) == nil }
            if !valid {
                pos += 1
                add(.invalid, start)
                return
            }
            let ch = String(decoding: bytes[pos..<end], as: UTF8.self)
            let help: String? =
                switch ch {
                case "“", "”", "‘", "’": "use straight quotes `\"` for strings"
                case ";": "write one assignment per line; no `;` is needed"
                case ":": "assignments use `=`, as in `Email = lower(email)`"
                case "[", "]": "the language has no lists; use `split(text, separator, index)`"
                default: nil
                }
            invalid(start, "unexpected character \(Lexer.visible(ch))", help: help, length: len)
        }
    }

    private mutating func invalid(_ start: Int, _ message: String, help: String?, length: Int = 1) {
        pos = min(bytes.count, start + length)
        report(Diagnostic(.unexpectedCharacter, message, at: SourceSpan(start, pos), help: help))
        add(.invalid, start)
    }

    /// A character for a message: in backticks, or as `U+0000` when it is a control or invisible one.
    static func visible(_ ch: String) -> String {
        guard let u = ch.unicodeScalars.first, ch.unicodeScalars.count == 1 else { return "`\(ch)`" }
        let invisible =
            u.value < 0x20 || (u.value >= 0x7F && u.value < 0xA0) || u.properties.generalCategory == .format
            || u.properties.isWhitespace
        let hex = String(u.value, radix: 16, uppercase: true)
        return invisible ? "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex : "`\(ch)`"
    }

    private mutating func lexNumber() {
        let start = pos
        while pos < bytes.count, Lexer.isDigit(bytes[pos]) || bytes[pos] == UInt8(ascii: "_") { pos += 1 }
        var kind = TokenKind.integer
        if peek() == UInt8(ascii: "."), Lexer.isDigit(peek(1)) {
            kind = .decimal
            pos += 1
            while pos < bytes.count, Lexer.isDigit(bytes[pos]) || bytes[pos] == UInt8(ascii: "_") { pos += 1 }
        }
        if Lexer.isIdentStart(peek()) {
            while pos < bytes.count, Lexer.isIdentPart(bytes[pos]) { pos += 1 }
            report(
                Diagnostic(
                    .invalidNumber, "invalid number `\(String(decoding: bytes[start..<pos], as: UTF8.self))`",
                    at: SourceSpan(start, pos), help: "names cannot start with a digit; quote such a field name in backticks"))
            add(.invalid, start)
            return
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self).replacingOccurrences(of: "_", with: "")
        let shown = text.count > 40 ? text.prefix(40) + "…" : text
        if kind == .integer, Int(text) == nil {
            report(
                Diagnostic(
                    .invalidNumber, "integer `\(shown)` is too large", at: SourceSpan(start, pos),
                    help: "integers range from -9223372036854775808 to 9223372036854775807"))
            add(.integer, start, "0")
            return
        }
        if kind == .decimal, !(Double(text)?.isFinite ?? false) {
            report(
                Diagnostic(
                    .invalidNumber, "decimal `\(shown)` is too large", at: SourceSpan(start, pos),
                    help: "decimals range up to about 1.8e308"))
            add(.decimal, start, "0.0")
            return
        }
        add(kind, start, text)
    }

    private mutating func lexQuotedIdentifier() {
        let start = pos
        pos += 1
        while pos < bytes.count, bytes[pos] != UInt8(ascii: "`"), bytes[pos] != 0x0A { pos += 1 }
        if peek() != UInt8(ascii: "`") {
            report(
                Diagnostic(.unterminatedString, "unterminated quoted name", at: SourceSpan(start, pos), help: "close it with a backtick"))
        } else {
            pos += 1
        }
        let end = bytes[pos - 1] == UInt8(ascii: "`") && pos - 1 > start ? pos - 1 : pos
        add(.quotedIdentifier, start, String(decoding: bytes[(start + 1)..<max(start + 1, end)], as: UTF8.self))
    }

    private mutating func lexString(quote: UInt8) {
        let start = pos
        pos += 1
        var out: [UInt8] = []
        var closed = false
        while pos < bytes.count {
            let b = bytes[pos]
            if b == quote {
                pos += 1
                closed = true
                break
            }
            if b == 0x0A { break }
            if b == UInt8(ascii: "\\") {
                let escStart = pos
                pos += 1
                let e = peek()
                pos += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "'"): out.append(0x27)
                case UInt8(ascii: "u"):
                    // \u{XXXX}
                    var ok = false
                    if peek() == UInt8(ascii: "{") {
                        var j = pos + 1
                        var v: UInt32 = 0
                        var digits = 0
                        while j < bytes.count, let d = hexValue(bytes[j]), digits < 8 {
                            v = v * 16 + d
                            j += 1
                            digits += 1
                        }
                        if j < bytes.count, bytes[j] == UInt8(ascii: "}"), digits > 0, let u = Unicode.Scalar(v) {
                            out.append(contentsOf: Array(String(Character(u)).utf8))
                            pos = j + 1
                            ok = true
                        }
                    }
                    if !ok {
                        report(
                            Diagnostic(
                                .invalidEscape, "invalid unicode escape", at: SourceSpan(escStart, pos),
                                help: "write unicode escapes as `\\u{1F600}`"))
                    }
                default:
                    if e == 0x0A || e == 0 { pos -= 1 }
                    report(
                        Diagnostic(
                            .invalidEscape, "invalid escape sequence in string", at: SourceSpan(escStart, pos),
                            help: "valid escapes are \\n \\t \\r \\\\ \\\" \\' and \\u{...}"))
                }
                continue
            }
            out.append(b)
            pos += 1
        }
        if !closed {
            report(
                Diagnostic(
                    .unterminatedString, "unterminated string literal", at: SourceSpan(start, pos),
                    help: "close the string with `\(Character(Unicode.Scalar(quote)))` on the same line"))
        }
        add(.string, start, String(decoding: out, as: UTF8.self))
    }

    private func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: UInt32(b - 0x30)
        case 0x41...0x46: UInt32(b - 0x41 + 10)
        case 0x61...0x66: UInt32(b - 0x61 + 10)
        default: nil
        }
    }
}
