/// What decoding one line into a cell frame came to.
enum CellDecoding {
    /// Every cell holds its field's value.
    case decoded
    /// The line is a JSON object, but some value needs the ``Value`` path.
    case fallBack
    /// The line is not a well-formed JSON object.
    case notHandled
}

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
final class RecordDecoder: Sendable {
    private let keys: KeyTable
    fileprivate let fields: [Field]
    /// Per slot: whether a JSON string is the slot's value as is (string-like field types).
    fileprivate let takesStringAsIs: [Bool]
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
        let sink = ValueSink(slots: slots, strings: strings)
        do {
            let failed = try decodeObject(&c, shape: shape) { c, slot in sink.take(&c, slot: slot, decoder: self) }
            if failed.at >= 0 {
                var again = c
                again.i = failed.at
                if case .failure(let f) = try typed(&again, slot: failed.slot) { return .failed(f) }
            }
            return .decoded
        } catch {
            return .notHandled
        }
    }

    /// Decodes `line` into the cells of `frame` (which it first resets), as ``decode(_:into:shape:strings:)``
    /// decodes it into values: `.decoded` when every cell stands for the value that decoding would
    /// give, `.fallBack` when some value needs the ``Value`` path (it does not fit its field, or
    /// its text is not valid UTF-8), `.notHandled` for a line that is not a well-formed JSON object.
    func decode(_ line: UnsafeBufferPointer<UInt8>, into frame: CellFrame, shape: KeyShape) -> CellDecoding {
        frame.reset()
        guard let base = line.baseAddress else { return .notHandled }
        var c = JSONCursor(base, count: line.count)
        let sink = CellSink(frame: frame)
        do {
            let failed = try decodeObject(&c, shape: shape) { c, slot in sink.take(&c, slot: slot, decoder: self) }
            return failed.at >= 0 || frame.undecided ? .fallBack : .decoded
        } catch {
            return .notHandled
        }
    }

    /// Reads the object at the cursor, giving `take` the value of each key the mapping reads;
    /// where the first value that did not fit its field starts, and its slot (-1 when all fit).
    /// Such a value's failure is worked out once the whole line is known to be well-formed.
    /// (`take` is a closure, not a protocol requirement, so that it is inlined.)
    @inline(__always) private func decodeObject(
        _ c: inout JSONCursor, shape: KeyShape, take: (inout JSONCursor, Int) -> Taking
    ) throws(Malformed) -> (at: Int, slot: Int) {
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
                let plain = !key.escaped && key.ascii
                slot = plain ? keys.slot(c.p + key.start, key.end - key.start) : slotByName[c.text(key)] ?? -1
                // Escaped or non-ASCII keys compare as strings do (canonical equivalence), like the
                // general path, so they are not remembered as bytes.
                if plain { shape.remember(position, c.p + runStart, c.i - runStart, slot: slot) }
            }
            position += 1
            c.skipSpace()
            if slot >= 0 && failedAt < 0 {
                let start = c.i
                switch take(&c, slot) {
                case .taken: break
                case .misfit:
                    failedAt = start
                    failedSlot = slot
                case .malformed: throw Malformed()
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
        return (failedAt, failedSlot)
    }

    /// Reads the value at the cursor as slot `slot`'s field type; nil when it does not fit the type.
    @inline(__always) fileprivate func value(_ c: inout JSONCursor, slot: Int, strings: StringCache) throws(Malformed) -> Value? {
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
    fileprivate func decodeOther(_ c: inout JSONCursor, slot: Int) throws(Malformed) -> Result<Value, RecordFailure> {
        let start = c.i
        try c.skipValue(depth: 1)
        if takesStringAsIs[slot], RecordDecoder.isLossyNumber(c.p + start, c.i - start) {
            // A number no double holds exactly, read as text: its digits as written.
            return .success(.string(String(decoding: UnsafeBufferPointer(start: c.p + start, count: c.i - start), as: UTF8.self)))
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(UnsafeBufferPointer(start: c.p + start, count: c.i - start), rejectingInvalidUTF8: true)
        } catch {
            throw Malformed()
        }
        return SourceDecoder.decode(json, as: fields[slot])
    }
}

extension RecordDecoder {
    /// Whether the bytes are a JSON number that a 64-bit integer or double cannot hold exactly: an
    /// integer past the 64-bit range, more than 15 significant digits (what a double keeps through
    /// a round trip), or past the double range (`1e400`).
    static func isLossyNumber(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0, p[0] == UInt8(ascii: "-") || (p[0] >= 0x30 && p[0] <= 0x39) else { return false }
        var integral = true
        var significant = 0
        var leading = true
        var i = 0
        while i < n {
            let b = p[i]
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                integral = false
                break
            }
            if b == UInt8(ascii: ".") {
                integral = false
            } else if b >= 0x30 && b <= 0x39 {
                if b != 0x30 { leading = false }
                if !leading { significant += 1 }
            }
            i += 1
        }
        let text = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        if integral { return Int(text) == nil }
        if significant > 15 { return true }
        return !(Double(text)?.isFinite ?? false)
    }
}

/// What taking a value into its slot came to.
private enum Taking {
    /// The value is in its slot.
    case taken
    /// The value does not fit the slot's field type.
    case misfit
    /// The value is not well-formed JSON.
    case malformed
}

/// Values into a ``Frame``'s slots.
private struct ValueSink {
    let slots: UnsafeMutablePointer<Value>
    let strings: StringCache

    /// Reads the value at the cursor for `slot` and moves past it.
    @inline(__always) func take(_ c: inout JSONCursor, slot: Int, decoder: RecordDecoder) -> Taking {
        do {
            guard let v = try decoder.value(&c, slot: slot, strings: strings) else { return .misfit }
            slots[slot] = v
            return .taken
        } catch {
            return .malformed
        }
    }
}

/// Cells into a ``CellFrame``'s slots: texts in place in the line when they need no decoding,
/// decoded into the frame's arena when they have escapes.
private struct CellSink {
    let frame: CellFrame

    /// Reads the value at the cursor for `slot` and moves past it.
    @inline(__always) func take(_ c: inout JSONCursor, slot: Int, decoder: RecordDecoder) -> Taking {
        do {
            return try taking(&c, slot: slot, decoder: decoder) ? .taken : .misfit
        } catch {
            return .malformed
        }
    }

    @inline(__always) private func taking(_ c: inout JSONCursor, slot: Int, decoder: RecordDecoder) throws(Malformed) -> Bool {
        switch c.peek() {
        case UInt8(ascii: "\""):
            let span = try c.string()
            if decoder.takesStringAsIs[slot] {
                frame.slots[slot] = text(span, c)
                return true
            }
            // Typed fields read from text (HubSpot sends numbers as strings): their values hold no text.
            guard case .success(let v) = SourceDecoder.decode(.string(c.text(span)), as: decoder.fields[slot]) else { return false }
            frame.slots[slot] = cell(v)
            return true
        case UInt8(ascii: "n"):
            try c.literal(JSONCursor.null)
            return true
        default:
            guard case .success(let v) = try decoder.decodeOther(&c, slot: slot) else { return false }
            frame.slots[slot] = cell(v)
            return true
        }
    }

    /// The cell of a scanned string: its bytes when they are valid UTF-8 (what `String` would keep).
    @inline(__always) private func text(_ span: JSONCursor.StringSpan, _ c: JSONCursor) -> Cell {
        let n = span.end - span.start
        var p = c.p + span.start
        var count = n
        if span.escaped {
            let out = frame.allocate(n)
            count = c.unescape(span, into: out)
            frame.shrinkLast(n, keep: count)
            p = UnsafePointer(out)
        }
        // Escapes decode to valid UTF-8, so ASCII as written is valid as decoded. Without escapes,
        // the string scan stopped only at the closing quote: no byte needs escaping.
        guard span.ascii || CellText.isValidUTF8(p, count) else { return frame.giveUp() }
        return span.escaped ? .text(p, count) : .text(p, count, plain: true)
    }

    private func cell(_ v: Value) -> Cell {
        if case .string(let s) = v { return frame.copy(s) }
        return Cell(nonText: v)
    }
}
