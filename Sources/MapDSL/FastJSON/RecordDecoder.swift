/// What decoding one line into a frame's slots came to.
enum LineDecoding {
    /// Every slot holds its field's value (null when the record lacks the field).
    case decoded
    /// The line is a JSON object, but a value the mapping reads does not fit its field type.
    case failed(RecordFailure)
    /// The line is not a well-formed JSON object: the general path (``JSONParser``) takes it and
    /// reports why.
    case notHandled
}

/// Decodes a JSONL line straight into a compiled mapping's input slots: one pass over the bytes,
/// keys matched as bytes, unused values validated and skipped without being built, no `JSONValue`
/// tree.
///
/// It accepts exactly the lines ``JSONParser`` accepts and gives each slot the value that
/// ``SourceDecoder`` gives the parsed value; anything unusual (a syntax error, a record that is not
/// an object) is left to the general path, so results and messages never differ between the two.
struct RecordDecoder: Sendable {
    private let keys: KeyTable
    private let fields: [Field]
    /// Per slot: whether a JSON string is the slot's value as is (string-like field types).
    private let takesStringAsIs: [Bool]
    private let slotByName: [String: Int]

    init(fields: [Field]) {
        self.keys = KeyTable(names: fields.map(\.name))
        self.fields = fields
        self.takesStringAsIs = fields.map {
            switch $0.type {
            case .string, .picklist, .id, .multipicklist: true
            case .int, .decimal, .bool, .date, .datetime: false
            }
        }
        var slots: [String: Int] = [:]
        for (i, f) in fields.enumerated() where slots[f.name] == nil { slots[f.name] = i }
        self.slotByName = slots
    }

    /// Decodes `line` into `slots` (one per field), which it first sets to null. `shape` remembers
    /// the keys of the previous line, so that keys in the same order are matched without a lookup.
    func decode(_ line: UnsafeBufferPointer<UInt8>, into slots: UnsafeMutablePointer<Value>, shape: inout KeyShape) -> LineDecoding {
        for i in 0..<fields.count { slots[i] = .null }
        guard let base = line.baseAddress else { return .notHandled }
        var c = JSONCursor(base, count: line.count)
        do {
            return try decodeObject(&c, into: slots, shape: &shape)
        } catch {
            return .notHandled
        }
    }

    private func decodeObject(
        _ c: inout JSONCursor, into slots: UnsafeMutablePointer<Value>, shape: inout KeyShape
    ) throws(Malformed) -> LineDecoding {
        c.skipSpace()
        guard c.peek() == UInt8(ascii: "{") else { throw Malformed() }
        c.i += 1
        c.skipSpace()
        // Where the first value that does not fit its field starts (its failure is worked out once
        // the whole line is known to be well-formed), and its slot.
        var failedAt = -1
        var failedSlot = -1
        if c.peek() == UInt8(ascii: "}") {
            c.i += 1
        } else {
            var position = 0
            while true {
                c.skipSpace()
                guard c.peek() == UInt8(ascii: "\"") else { throw Malformed() }
                var slot = shape.match(position, c.p + c.i, c.end - c.i)
                if slot >= -1 {
                    c.i += shape.length(position) + 2
                } else {
                    let key = try c.string()
                    slot = self.slot(of: key, in: c)
                    if !key.escaped && ByteScan.isASCII(c.p + key.start, count: key.end - key.start) {
                        shape.remember(position, c.p + key.start, key.end - key.start, slot: slot)
                    }
                }
                position += 1
                c.skipSpace()
                guard c.peek() == UInt8(ascii: ":") else { throw Malformed() }
                c.i += 1
                c.skipSpace()
                if slot >= 0 && failedAt < 0 {
                    let start = c.i
                    if let v = try value(&c, slot: slot) {
                        slots[slot] = v
                    } else {
                        failedAt = start
                        failedSlot = slot
                    }
                } else {
                    switch c.peek() {
                    case UInt8(ascii: "n"): try c.literal(JSONCursor.null)
                    case UInt8(ascii: "\""): _ = try c.string()
                    default: try c.skipValue(depth: 1)
                    }
                }
                c.skipSpace()
                let b = c.peek()
                c.i += 1
                if b == UInt8(ascii: ",") { continue }
                if b == UInt8(ascii: "}") { break }
                throw Malformed()
            }
        }
        c.skipSpace()
        guard c.i == c.end else { throw Malformed() }
        if failedAt >= 0 {
            var again = c
            again.i = failedAt
            if case .failure(let f) = try typed(&again, slot: failedSlot) { return .failed(f) }
        }
        return .decoded
    }

    /// The slot a key names, or -1.
    private func slot(of key: JSONCursor.StringSpan, in c: JSONCursor) -> Int {
        let p = c.p + key.start
        let n = key.end - key.start
        if !key.escaped && ByteScan.isASCII(p, count: n) { return keys.slot(p, n) }
        // Escaped or non-ASCII keys compare as strings do (canonical equivalence), like the general path.
        return slotByName[c.text(key)] ?? -1
    }

    /// Reads the value at the cursor as slot `slot`'s field type; nil when it does not fit the type.
    @inline(__always) private func value(_ c: inout JSONCursor, slot: Int) throws(Malformed) -> Value? {
        switch c.peek() {
        case UInt8(ascii: "\""):
            let span = try c.string()
            let s = c.text(span)
            if takesStringAsIs[slot] { return .string(s) }
            if case .success(let v) = SourceDecoder.decode(.string(s), as: fields[slot]) { return v }
            return nil
        case UInt8(ascii: "n"):
            try c.literal(JSONCursor.null)
            return .null
        default:
            if case .success(let v) = try decodeOther(&c, slot: slot) { return v }
            return nil
        }
    }

    /// Reads the value at the cursor as slot `slot`'s field type, or why it does not fit.
    private func typed(_ c: inout JSONCursor, slot: Int) throws(Malformed) -> Result<Value, RecordFailure> {
        switch c.peek() {
        case UInt8(ascii: "\""):
            let span = try c.string()
            let s = c.text(span)
            if takesStringAsIs[slot] { return .success(.string(s)) }
            return SourceDecoder.decode(.string(s), as: fields[slot])
        case UInt8(ascii: "n"):
            try c.literal(JSONCursor.null)
            return .success(.null)
        default:
            return try decodeOther(&c, slot: slot)
        }
    }

    /// Reads a number, boolean, array or object at the cursor as slot `slot`'s field type.
    private func decodeOther(_ c: inout JSONCursor, slot: Int) throws(Malformed) -> Result<Value, RecordFailure> {
        let start = c.i
        try c.skipValue(depth: 1)
        let json: JSONValue
        do {
            json = try JSONParser.parse(UnsafeBufferPointer(start: c.p + start, count: c.i - start))
        } catch {
            throw Malformed()
        }
        return SourceDecoder.decode(json, as: fields[slot])
    }
}

/// The keys of the last line decoded, position by position, with their slots: JSONL files nearly
/// always repeat one key order, so a key is usually matched by comparing a few words.
struct KeyShape {
    private var pool: [UInt8] = []
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var slots: [Int] = []

    /// Creates an empty shape.
    init() {}

    /// The slot (or -1) of the key at `position` when the text at `p` (`count` bytes, starting at
    /// the opening quote) is the remembered key there followed by its closing quote; -2 otherwise.
    @inline(__always) func match(_ position: Int, _ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        guard position < slots.count else { return -2 }
        let n = lengths[position]
        guard n + 2 <= count, p[n + 1] == UInt8(ascii: "\"") else { return -2 }
        let same = pool.withUnsafeBufferPointer { ByteScan.equal($0.baseAddress! + offsets[position], p + 1, n) }
        return same ? slots[position] : -2
    }

    /// The length of the key remembered at `position`.
    @inline(__always) func length(_ position: Int) -> Int { lengths[position] }

    /// Remembers the plain ASCII key `p[0..<n]` (no escapes, quotes or control characters) at `position`.
    mutating func remember(_ position: Int, _ p: UnsafePointer<UInt8>, _ n: Int, slot: Int) {
        if pool.count + n > 1 << 16 {
            pool.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
            lengths.removeAll(keepingCapacity: true)
            slots.removeAll(keepingCapacity: true)
        }
        guard position <= slots.count else { return }
        let offset = pool.count
        pool.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        if pool.isEmpty { pool.append(0) }
        if position == slots.count {
            offsets.append(offset)
            lengths.append(n)
            slots.append(slot)
        } else {
            offsets[position] = offset
            lengths[position] = n
            slots[position] = slot
        }
    }
}

/// The line is not well-formed JSON (the general parser says why).
struct Malformed: Error {}

/// A position in a JSON text, with the validating scanners the record decoder needs. Accepts and
/// rejects exactly what ``JSONParser`` does.
struct JSONCursor {
    let p: UnsafePointer<UInt8>
    let end: Int
    var i = 0

    static let maxDepth = 512
    /// `null`, `true` and `fals` as little-endian words.
    static let null: UInt32 = 0x6C6C_756E
    static let `true`: UInt32 = 0x6575_7274
    static let fals: UInt32 = 0x736C_6166

    /// The content of a string token: bytes `start..<end`, and whether they contain escapes.
    struct StringSpan {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    init(_ p: UnsafePointer<UInt8>, count: Int) {
        self.p = p
        self.end = count
    }

    /// The byte at the cursor, or 0 at the end (0 is never valid where a token is expected).
    @inline(__always) func peek() -> UInt8 { i < end ? p[i] : 0 }

    @inline(__always) mutating func skipSpace() {
        guard i < end, p[i] <= 0x20 else { return }
        while i < end, ByteScan.isJSONSpace(p[i]) { i += 1 }
    }

    /// Scans the string whose opening quote is at the cursor and moves past its closing quote.
    @inline(__always) mutating func string() throws(Malformed) -> StringSpan {
        i += 1
        let start = i
        var escaped = false
        while true {
            i = ByteScan.firstStringStop(p, from: i, end: end)
            guard i < end else { throw Malformed() }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return StringSpan(start: start, end: i - 1, escaped: escaped)
            }
            guard b == UInt8(ascii: "\\") else { throw Malformed() }
            escaped = true
            try escape()
        }
    }

    /// Validates the escape whose backslash is at the cursor and moves past it.
    private mutating func escape() throws(Malformed) {
        i += 1
        guard i < end else { throw Malformed() }
        switch p[i] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 1
        case UInt8(ascii: "u"):
            let v = try hex4(at: i + 1)
            i += 5
            if v >= 0xD800 && v < 0xDC00 {
                guard i + 1 < end, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else { throw Malformed() }
                let low = try hex4(at: i + 2)
                guard low >= 0xDC00 && low < 0xE000 else { throw Malformed() }
                i += 6
            } else if v >= 0xDC00 && v < 0xE000 {
                throw Malformed()
            }
        default:
            throw Malformed()
        }
    }

    private func hex4(at k: Int) throws(Malformed) -> UInt32 {
        guard k + 4 <= end else { throw Malformed() }
        var v: UInt32 = 0
        for j in k..<(k + 4) {
            let b = p[j]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw Malformed()
            }
            v = v << 4 | d
        }
        return v
    }

    /// The text of a scanned string, escapes decoded as ``JSONParser`` decodes them.
    func text(_ s: StringSpan) -> String {
        if !s.escaped { return String(decoding: UnsafeBufferPointer(start: p + s.start, count: s.end - s.start), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(s.end - s.start)
        var k = s.start
        while k < s.end {
            let b = p[k]
            if b != UInt8(ascii: "\\") {
                out.append(b)
                k += 1
                continue
            }
            let e = p[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = (try? hex4(at: k)) ?? 0xFFFD
                k += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    let low = (try? hex4(at: k + 2)) ?? 0xDC00
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                }
                JSONCursor.appendUTF8(scalar, to: &out)
            default: out.append(e)  // " \ /
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | v >> 6))
            out.append(UInt8(0x80 | v & 0x3F))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | v >> 12))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        } else {
            out.append(UInt8(0xF0 | v >> 18))
            out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Moves past the four-byte word `word` (`null`, `true`) at the cursor.
    @inline(__always) mutating func literal(_ word: UInt32) throws(Malformed) {
        guard i + 4 <= end, UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self) == UInt32(littleEndian: word) else {
            throw Malformed()
        }
        i += 4
    }

    /// Moves past `false` at the cursor.
    @inline(__always) mutating func literalFalse() throws(Malformed) {
        guard i + 5 <= end, UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self) == UInt32(littleEndian: JSONCursor.fals),
            p[i + 4] == UInt8(ascii: "e")
        else { throw Malformed() }
        i += 5
    }

    /// Moves past the number at the cursor.
    mutating func number() throws(Malformed) {
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(p[i]) else { throw Malformed() }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < end, isDigit(p[i]) { i += 1 }
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(p[i]) else { throw Malformed() }
            while i < end, isDigit(p[i]) { i += 1 }
        }
        if i < end, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, isDigit(p[i]) else { throw Malformed() }
            while i < end, isDigit(p[i]) { i += 1 }
        }
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Validates and moves past the value at the cursor, which sits inside a container `depth` deep.
    mutating func skipValue(depth: Int) throws(Malformed) {
        switch peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "n"): try literal(JSONCursor.null)
        case UInt8(ascii: "t"): try literal(JSONCursor.true)
        case UInt8(ascii: "f"): try literalFalse()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        default: throw Malformed()
        }
    }

    private mutating func skipObject(depth: Int) throws(Malformed) {
        guard depth <= JSONCursor.maxDepth else { throw Malformed() }
        i += 1
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw Malformed() }
            _ = try string()
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { throw Malformed() }
            i += 1
            skipSpace()
            try skipValue(depth: depth)
            skipSpace()
            let b = peek()
            i += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "}") { return }
            throw Malformed()
        }
    }

    private mutating func skipArray(depth: Int) throws(Malformed) {
        guard depth <= JSONCursor.maxDepth else { throw Malformed() }
        i += 1
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            i += 1
            return
        }
        while true {
            skipSpace()
            try skipValue(depth: depth)
            skipSpace()
            let b = peek()
            i += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "]") { return }
            throw Malformed()
        }
    }
}
