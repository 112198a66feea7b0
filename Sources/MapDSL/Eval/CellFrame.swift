/// The state of the byte-level evaluator for one record at a time: the input slots as cells,
/// memory for text made while evaluating, and whether some operation could not decide (then the
/// record is evaluated again by the ``Value`` evaluator, which is the reference).
final class CellFrame {
    /// Source values, one cell per input slot.
    let slots: UnsafeMutablePointer<Cell>
    let slotCount: Int
    /// A ``Value`` frame for the parts of a mapping the byte level hands to the ``Value`` code.
    let values: Frame
    /// Set by an operation whose result the byte-level evaluator cannot be sure of.
    var undecided = false
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private var arenaUsed = 0
    /// Arenas filled earlier in the record (a cell may still point into them), and whether there
    /// are any (a plain flag, read per record without touching the array).
    private var spent: [UnsafeMutablePointer<UInt8>] = []
    private var hasSpent = false

    /// A frame with `slotCount` null slots, and `values` for parts of a mapping run as ``Value``
    /// code (it has as many slots).
    init(slotCount: Int, values: Frame) {
        self.slotCount = slotCount
        self.values = values
        slots = .allocate(capacity: max(slotCount, 1))
        slots.initialize(repeating: .null, count: slotCount)
        arenaCapacity = 1 << 16
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        arena.deallocate()
        for a in spent { a.deallocate() }
    }

    /// Starts a record: null slots, an empty arena, nothing undecided.
    @inline(__always) func reset() {
        for i in 0..<slotCount { slots[i] = .null }
        undecided = false
        arenaUsed = 0
        if hasSpent { releaseSpent() }
    }

    private func releaseSpent() {
        for a in spent { a.deallocate() }
        spent.removeAll()
        hasSpent = false
    }

    /// Memory for `n` bytes of text, valid until the next ``reset()``.
    @inline(__always) func allocate(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if arenaUsed + n > arenaCapacity { grow(n) }
        let p = arena + arenaUsed
        arenaUsed += n
        return p
    }

    /// Gives back the end of the last allocation: `keep` of its `n` bytes are used.
    @inline(__always) func shrinkLast(_ n: Int, keep: Int) {
        arenaUsed -= n - keep
    }

    /// Starts a new arena big enough for `n` bytes, keeping the full one until the next reset.
    private func grow(_ n: Int) {
        spent.append(arena)
        hasSpent = true
        arenaCapacity = max(arenaCapacity, n)
        arena = .allocate(capacity: arenaCapacity)
        arenaUsed = 0
    }

    /// A text cell holding a copy of `u`.
    func copy(_ u: UnsafeBufferPointer<UInt8>) -> Cell {
        guard let src = u.baseAddress, u.count > 0 else { return .empty }
        let p = allocate(u.count)
        p.update(from: src, count: u.count)
        return .text(p, u.count)
    }

    /// A text cell holding the UTF-8 of `s`.
    func copy(_ s: String) -> Cell {
        var s = s
        return s.withUTF8 { copy($0) }
    }

    /// Marks the record undecided and gives a placeholder result.
    @inline(__always) func giveUp() -> Cell {
        undecided = true
        return .null
    }
}
