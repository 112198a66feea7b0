/// The output checks of ``OutputValidator`` compiled for a list of destination fields, for the hot
/// path of a run: each check looks at a value (a string's UTF-8 bytes in place) and says whether it
/// certainly passes.
///
/// A pass is only ever claimed when ``OutputValidator/check(_:_:into:)`` would report nothing, not
/// even a warning; anything the fast checks cannot decide (a value that fails or is doubtful, a
/// picklist value that is a canonically equivalent spelling, a text longer in bytes than the limit,
/// whatever the field's unit) is left to the validator, which gives the verdict and the messages. So a run with these checks
/// accepts and rejects exactly the records the validator would. Verdicts that depend only on the
/// kind of value (null, numbers, booleans, dates, the empty text) are the validator's own, asked
/// once per field.
///
/// The tables are plain memory, read through ``Tables`` (a value of pointers) without reference
/// counting; the class owns them.
final class FieldChecks {
    /// Per field, what the checks need to know.
    fileprivate struct Rule {
        /// Value kinds that pass, as bits of ``FieldChecks/kindBit(_:)``; bit 0 for null, bit 7
        /// for the empty text.
        var passes: UInt8
        /// Whether a non-empty text can pass at all (its type fits the field).
        var textFits: Bool
        var required: Bool
        /// A picklist: its values are number `first..<first + count`; `count` is -1 without one.
        var first: Int
        var count: Int
        /// Multi-select picklists are left to the validator.
        var multi: Bool
        /// The limit; a text of at most this many UTF-8 bytes fits in every unit.
        var maxLength: Int
        var check: ValueCheck?
    }

    /// The checks, valid while the ``FieldChecks`` that made them lives.
    struct Tables {
        fileprivate let rules: UnsafeMutablePointer<Rule>
        /// All picklist values: where each one's bytes start in `pool`, and its length.
        fileprivate let offsets: UnsafeMutablePointer<Int>
        fileprivate let lengths: UnsafeMutablePointer<Int>
        fileprivate let pool: UnsafeMutablePointer<UInt8>
    }

    /// The checks.
    let tables: Tables
    private let ruleCount: Int

    /// Checks for `fields`, in order.
    init(fields: [Field]) {
        var rules: [Rule] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        var pool: [UInt8] = []
        let samples: [Value] = [.null, .string("x"), .int(0), .decimal(0), .bool(false), .date(0), .datetime(0), .string("")]
        for f in fields {
            var passes: UInt8 = 0
            for (bit, v) in samples.enumerated() where bit != 1 && OutputValidator.validate([v], fields: [f]).isEmpty {
                passes |= 1 << UInt8(bit)
            }
            var rule = Rule(
                passes: passes, textFits: BaseType.string.fits(f.type), required: f.required, first: offsets.count, count: -1,
                multi: f.type == .multipicklist, maxLength: f.maxLength ?? Int.max, check: f.rules.value?.check)
            if let values = f.values {
                rule.count = values.count
                for v in values {
                    offsets.append(pool.count)
                    lengths.append(v.utf8.count)
                    pool.append(contentsOf: v.utf8)
                }
            }
            rules.append(rule)
        }
        ruleCount = rules.count
        tables = Tables(
            rules: FieldChecks.copy(rules), offsets: FieldChecks.copy(offsets), lengths: FieldChecks.copy(lengths),
            pool: FieldChecks.copy(pool))
    }

    deinit {
        tables.rules.deinitialize(count: ruleCount)
        tables.rules.deallocate()
        tables.offsets.deallocate()
        tables.lengths.deallocate()
        tables.pool.deallocate()
    }

    private static func copy<T>(_ items: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(items.count, 1))
        p.initialize(from: items, count: items.count)
        return p
    }
}

extension FieldChecks.Tables {
    /// The bit of a value's kind in a rule's `passes`.
    @inline(__always) static func kindBit(_ v: Value) -> UInt8 {
        switch v {
        case .null: 1
        case .string: 2
        case .int: 4
        case .decimal: 8
        case .bool: 16
        case .date: 32
        case .datetime: 64
        }
    }

    /// Whether a value that is not a string certainly passes field `i` (its verdict depends only on
    /// its kind).
    @inline(__always) func otherPasses(_ i: Int, _ v: Value) -> Bool { rules[i].passes & Self.kindBit(v) != 0 }

    /// Whether the text whose UTF-8 bytes are `u` certainly passes field `i`.
    @inline(__always) func textPasses(_ i: Int, _ u: UnsafeBufferPointer<UInt8>) -> Bool {
        let r = rules + i
        guard let p = u.baseAddress, u.count > 0 else { return r.pointee.passes & 128 != 0 }
        let n = u.count
        guard r.pointee.textFits else { return false }
        if r.pointee.required && !Self.certainlyNotBlank(u) { return false }
        if r.pointee.count >= 0 && (r.pointee.multi || !inPicklist(r.pointee.first, r.pointee.count, p, n)) { return false }
        if n > r.pointee.maxLength { return false }
        switch r.pointee.check {
        case nil, .none?: return true
        case .phoneDigits?: return Formats.isPhone(p, n)
        case let check?: return ValueChecks.verdict(check, u) == .valid
        }
    }

    /// Whether `p[0..<n]` is byte for byte one of the picklist values `first..<first + count`.
    @inline(__always) private func inPicklist(_ first: Int, _ count: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for k in first..<(first + count) where lengths[k] == n {
            if ByteScan.equal(pool + offsets[k], p, n) { return true }
        }
        return false
    }

    /// Whether the text is certainly not blank in the sense of ``Text/isBlank(_:)``: its first
    /// byte after ASCII whitespace starts a scalar that is not whitespace to anyone.
    @inline(__always) static func certainlyNotBlank(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < u.count && Text.isSpace(u[i]) { i += 1 }
        if i == u.count { return false }
        if u[i] < 0x80 { return true }
        return !Text.mayBeUnicodeSpace(Text.scalar(u, at: i))
    }
}
