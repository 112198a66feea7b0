/// A value of the byte-level evaluator: a ``Value`` whose text is UTF-8 bytes held elsewhere (in
/// the input line, in a mapping's literals, or in a record's ``CellFrame`` arena), so that
/// evaluating a record creates no `String` and touches no reference count.
///
/// Text bytes are always valid UTF-8, so a text cell stands for exactly one `String`. A cell lives
/// as long as the record it belongs to; the bytes it points to are never written while it does
/// (literals never, a line and a frame's arena only between records), which is why a cell may be
/// captured by compiled code shared between threads.
struct Cell: @unchecked Sendable {
    /// What the cell holds.
    enum Kind: UInt8 {
        case null, text, int, decimal, bool, date, datetime
    }

    var kind: Kind
    /// Whether the text has no byte JSON escapes (`"`, `\\`, control characters): written as is.
    var plain: Bool
    /// The text's first byte (text cells only).
    var base: UnsafePointer<UInt8>?
    /// The text's length in bytes; the integer, day number, milliseconds or `0`/`1` of the other
    /// kinds; a decimal's bit pattern.
    var payload: Int

    @inline(__always) static var null: Cell { Cell(kind: .null, base: nil, payload: 0) }

    /// A text cell; `plain` when no byte of it needs escaping in JSON.
    @inline(__always) static func text(_ base: UnsafePointer<UInt8>?, _ count: Int, plain: Bool) -> Cell {
        Cell(kind: .text, plain: plain, base: base, payload: count)
    }

    /// A text cell of bytes that may need escaping in JSON: it finds out whether they do.
    @inline(__always) static func text(_ base: UnsafePointer<UInt8>?, _ count: Int) -> Cell {
        let plain = base.map { ByteScan.firstStringStop($0, from: 0, end: count) == count } ?? true
        return Cell(kind: .text, plain: plain, base: base, payload: count)
    }

    /// The empty text.
    @inline(__always) static var empty: Cell { Cell(kind: .text, plain: true, base: nil, payload: 0) }

    @inline(__always) static func bool(_ b: Bool) -> Cell { Cell(kind: .bool, base: nil, payload: b ? 1 : 0) }

    @inline(__always) static func int(_ i: Int) -> Cell { Cell(kind: .int, base: nil, payload: i) }

    /// The cell of a value that is not text.
    @inline(__always) init(nonText v: Value) {
        switch v {
        case .null, .string: self = .null
        case .int(let i): self = .int(i)
        case .decimal(let d): self = Cell(kind: .decimal, base: nil, payload: Int(bitPattern: UInt(d.bitPattern)))
        case .bool(let b): self = .bool(b)
        case .date(let d): self = Cell(kind: .date, base: nil, payload: d)
        case .datetime(let t): self = Cell(kind: .datetime, base: nil, payload: Int(t))
        }
    }

    private init(kind: Kind, plain: Bool = true, base: UnsafePointer<UInt8>?, payload: Int) {
        self.kind = kind
        self.plain = plain
        self.base = base
        self.payload = payload
    }

    @inline(__always) var isNull: Bool { kind == .null }
    @inline(__always) var isText: Bool { kind == .text }
    @inline(__always) var isTrue: Bool { kind == .bool && payload != 0 }

    /// The text's bytes (text cells only).
    @inline(__always) var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: payload) }

    /// The value of a cell that is not text; `.null` for text. Such values hold no reference, so
    /// making one costs nothing.
    @inline(__always) var nonTextValue: Value {
        switch kind {
        case .null, .text: .null
        case .int: .int(payload)
        case .decimal: .decimal(Double(bitPattern: UInt64(UInt(bitPattern: payload))))
        case .bool: .bool(payload != 0)
        case .date: .date(payload)
        case .datetime: .datetime(Int64(payload))
        }
    }

    /// The value the cell stands for.
    var value: Value {
        kind == .text ? .string(String(decoding: bytes, as: UTF8.self)) : nonTextValue
    }

    /// Whether every byte of the text is ASCII.
    @inline(__always) var isASCII: Bool {
        guard let base else { return true }
        return ByteScan.isASCII(base, count: payload)
    }
}
