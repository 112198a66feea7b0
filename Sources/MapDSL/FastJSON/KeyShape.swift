/// The structure of recent lines, key by key: for each position, the bytes from the end of the
/// previous value (or the start of the line) up to the next value — whitespace, `{` or `,`, the
/// quoted key, `:` and whitespace — and the key's slot.
///
/// JSONL files nearly always repeat one layout, or alternate between a few (exporters that write
/// `", "` and `": "` or compact JSON), so a key, with the punctuation and whitespace around it, is
/// usually matched by comparing a few words. A shape keeps up to ``layoutCount`` layouts and picks
/// the one whose first run starts the line. A run that matches was validated when it was
/// remembered, and the same bytes are the same syntax. Only runs whose key is plain ASCII (no
/// escapes) are remembered, so a matching key names the slot a lookup by bytes would find.
///
/// A shape belongs to one decoder at a time; it keeps its runs in storage of its own, which it
/// reads and writes without copies or exclusivity checks.
final class KeyShape {
    static let layoutCount = 4
    private static let poolCapacity = 1 << 14
    private static let positionCapacity = 256

    /// One remembered run: where its bytes start in its layout's pool, its length, and the key's
    /// slot (-1 for a key the mapping does not read).
    private struct Run {
        var offset: Int32
        var length: Int32
        var slot: Int
    }

    /// One remembered layout: the bytes of its runs, and its runs by position.
    private struct Layout {
        var pool: UnsafeMutablePointer<UInt8>
        var poolCount = 0
        var runs: UnsafeMutablePointer<Run>
        var positions = 0
    }

    private let layouts: UnsafeMutablePointer<Layout>
    /// The layout of the line being decoded.
    private var current = 0
    /// The layout replaced next when a line starts like none of them.
    private var victim = 0

    /// Creates an empty shape.
    init() {
        layouts = .allocate(capacity: KeyShape.layoutCount)
        for i in 0..<KeyShape.layoutCount {
            (layouts + i).initialize(
                to: Layout(pool: .allocate(capacity: KeyShape.poolCapacity), runs: .allocate(capacity: KeyShape.positionCapacity)))
        }
    }

    deinit {
        for i in 0..<KeyShape.layoutCount {
            layouts[i].pool.deallocate()
            layouts[i].runs.deallocate()
        }
        layouts.deinitialize(count: KeyShape.layoutCount)
        layouts.deallocate()
    }

    /// When the `count` bytes at `p` start with the run remembered at `position`: the run's length
    /// in the low 32 bits and the slot plus one above them; 0 otherwise. Position 0 chooses the
    /// layout that the following positions are matched against first.
    @inline(__always) func match(_ position: Int, _ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        if position == 0 { return matchFirst(p, count) }
        let m = KeyShape.match(layouts + current, position, p, count)
        return m != 0 ? m : matchOther(position, p, count)
    }

    @inline(__always) private static func match(
        _ l: UnsafeMutablePointer<Layout>, _ position: Int, _ p: UnsafePointer<UInt8>, _ count: Int
    ) -> Int {
        guard position < l.pointee.positions else { return 0 }
        let run = l.pointee.runs + position
        let n = Int(run.pointee.length)
        guard n <= count, ByteScan.equal(l.pointee.pool + Int(run.pointee.offset), p, n) else { return 0 }
        return n | (run.pointee.slot &+ 1) << 32
    }

    /// The longest first run that starts the line (one layout's may be a prefix of another's, as
    /// `{"id":` is of `{"id": `), choosing its layout; when none does, a layout to replace.
    private func matchFirst(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var best = 0
        for i in 0..<KeyShape.layoutCount {
            let m = KeyShape.match(layouts + i, 0, p, count)
            if m & 0xFFFF_FFFF > best & 0xFFFF_FFFF {
                best = m
                current = i
            }
        }
        if best == 0 {
            current = victim
            victim = (victim + 1) & (KeyShape.layoutCount - 1)
            layouts[current].positions = 0
            layouts[current].poolCount = 0
        }
        return best
    }

    /// A run of another layout at `position` (any remembered run that matches is valid there),
    /// switching to that layout.
    private func matchOther(_ position: Int, _ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        for i in 0..<KeyShape.layoutCount where i != current {
            let m = KeyShape.match(layouts + i, position, p, count)
            if m != 0 {
                current = i
                return m
            }
        }
        return 0
    }

    /// Remembers `p[0..<n]` as the run at `position` of the current layout, for a key that names
    /// `slot` (or -1). The run must be well-formed (whitespace, `{` or `,`, whitespace, a plain
    /// ASCII key in quotes, whitespace, `:`, whitespace). Runs are kept in position order:
    /// remembering at a position drops the layout's runs from there on, and a position past the
    /// remembered ones is remembered only when it is the next one.
    func remember(_ position: Int, _ p: UnsafePointer<UInt8>, _ n: Int, slot: Int) {
        let l = layouts + current
        if position < l.pointee.positions {
            // The line differs from the layout here: it keeps what came before, and this line's rest.
            l.pointee.positions = position
            l.pointee.poolCount = position == 0 ? 0 : Int(l.pointee.runs[position].offset)
        }
        guard position == l.pointee.positions, position < KeyShape.positionCapacity,
            l.pointee.poolCount + n <= KeyShape.poolCapacity
        else { return }
        (l.pointee.pool + l.pointee.poolCount).update(from: p, count: n)
        l.pointee.runs[position] = Run(offset: Int32(l.pointee.poolCount), length: Int32(n), slot: slot)
        l.pointee.poolCount += n
        l.pointee.positions += 1
    }
}
