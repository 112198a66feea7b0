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
    /// the layout of the previous line, so that keys in the same order, with the same punctuation
    /// and spacing around them, are matched by comparing bytes; `strings` remembers string values
    /// that repeat.
    func decode(
        _ line: UnsafeBufferPointer<UInt8>, into slots: UnsafeMutablePointer<Value>, shape: KeyShape, strings: StringCache
    ) -> LineDecoding {
        for i in 0..<fields.count { slots[i] = .null }
        guard let base = line.baseAddress else { return .notHandled }
        var c = JSONCursor(base, count: line.count)
        do {
            return try decodeObject(&c, into: slots, shape: shape, strings: strings)
        } catch {
            return .notHandled
        }
    }

    private func decodeObject(
        _ c: inout JSONCursor, into slots: UnsafeMutablePointer<Value>, shape: KeyShape, strings: StringCache
    ) throws(Malformed) -> LineDecoding {
        // Where the first value that does not fit its field starts (its failure is worked out once
        // the whole line is known to be well-formed), and its slot.
        var failedAt = -1
        var failedSlot = -1
        var position = 0
        while true {
            // Everything from the end of the previous value (or the start of the line) to the next
            // value: remembered from the previous line, or read and remembered now.
            let slot: Int
            let run = shape.match(position, c.p + c.i, c.end - c.i)
            if run != 0 {
                c.i += run & 0xFFFF_FFFF
                slot = (run >> 32) - 1
            } else {
                let runStart = c.i
                c.skipSpace()
                if position == 0 {
                    guard c.peek() == UInt8(ascii: "{") else { throw Malformed() }
                    c.i += 1
                    c.skipSpace()
                    if c.peek() == UInt8(ascii: "}") {
                        c.i += 1
                        break
                    }
                } else {
                    let b = c.peek()
                    c.i += 1
                    if b == UInt8(ascii: "}") { break }
                    guard b == UInt8(ascii: ",") else { throw Malformed() }
                    c.skipSpace()
                }
                guard c.peek() == UInt8(ascii: "\"") else { throw Malformed() }
                let key = try c.string()
                c.skipSpace()
                guard c.peek() == UInt8(ascii: ":") else { throw Malformed() }
                c.i += 1
                c.skipSpace()
                let plain = !key.escaped && ByteScan.isASCII(c.p + key.start, count: key.end - key.start)
                slot = plain ? keys.slot(c.p + key.start, key.end - key.start) : slotByName[c.text(key)] ?? -1
                // Escaped or non-ASCII keys compare as strings do (canonical equivalence), like the
                // general path, so they are not remembered as bytes.
                if plain { shape.remember(position, c.p + runStart, c.i - runStart, slot: slot) }
            }
            position += 1
            c.skipSpace()
            if slot >= 0 && failedAt < 0 {
                let start = c.i
                if let v = try value(&c, slot: slot, strings: strings) {
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

    /// Reads the value at the cursor as slot `slot`'s field type; nil when it does not fit the type.
    @inline(__always) private func value(_ c: inout JSONCursor, slot: Int, strings: StringCache) throws(Malformed) -> Value? {
        switch c.peek() {
        case UInt8(ascii: "\""):
            let span = try c.string()
            if takesStringAsIs[slot] {
                let cursor = c
                return strings.value(slot: slot, c.p + span.start, span.end - span.start) { _, _ in .string(cursor.text(span)) }
            }
            let s = c.text(span)
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
