/// Checks mapped values against their destination fields with ``OutputValidator``, remembering for
/// picklist fields the last few texts that passed, so that the usual handful of values is not
/// checked again on every record.
///
/// A check depends only on the field and the value's UTF-8 bytes, so a remembered pass gives the
/// result a new check would give.
final class OutputChecks {
    /// Per output field: ``OutputValidator``'s check, holding its field (no copy of it per record).
    private let checks: [(Value, inout [Violation]) -> Void]
    /// Per output field: whether passes are remembered.
    private let remembers: [Bool]
    /// Per field, `rememberedCount` places for texts that passed; the first `used` of them are
    /// filled, `next` is where the next one goes.
    private var passed: [String]
    private var used: [Int]
    private var next: [Int]
    private static let rememberedCount = 8

    /// Checks for `fields`, in order.
    init(fields: [Field]) {
        checks = fields.map { field in { v, out in OutputValidator.check(v, field, into: &out) } }
        remembers = fields.map { $0.values != nil }
        passed = [String](repeating: "", count: fields.count * OutputChecks.rememberedCount)
        used = [Int](repeating: 0, count: fields.count)
        next = [Int](repeating: 0, count: fields.count)
    }

    /// Appends to `out` every problem with `values` (aligned with the fields), like
    /// ``OutputValidator/validate(_:fields:)``.
    func check(_ values: [Value], into out: inout [Violation]) {
        for i in 0..<min(values.count, checks.count) {
            guard remembers[i], case .string(let s) = values[i] else {
                checks[i](values[i], &out)
                continue
            }
            let base = i * OutputChecks.rememberedCount
            var known = false
            for k in base..<(base + used[i]) where OutputChecks.sameBytes(passed[k], s) {
                known = true
                break
            }
            if known { continue }
            let before = out.count
            checks[i](values[i], &out)
            if out.count == before {
                passed[base + next[i]] = s
                next[i] = (next[i] + 1) % OutputChecks.rememberedCount
                used[i] = min(used[i] + 1, OutputChecks.rememberedCount)
            }
        }
    }

    /// Whether `a` and `b` have the same UTF-8 bytes (not just canonically equivalent text).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let n = a.utf8.count
        guard n == b.utf8.count else { return false }
        if n == 0 { return true }
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in ByteScan.equal(x.baseAddress!, y.baseAddress!, n) }
        }
        return (fast ?? nil) ?? a.utf8.elementsEqual(b.utf8)
    }
}
