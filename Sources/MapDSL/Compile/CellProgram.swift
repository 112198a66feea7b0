/// A mapping compiled for the byte-level evaluator: its skip rules and outputs as ``CellCode``,
/// chained like ``Program``'s steps, with the literals they point into.
///
/// A mapping has one when ``CellCompiler`` covers every one of its expressions and it uses no
/// lookups; records it cannot decide go to the ``Value`` evaluator.
final class CellProgram: Sendable {
    /// One link: runs its rule or output and the rest of its chain; 0 to go on, one more than the
    /// number of the skip rule that matched, or -1 when a skip rule was undecided.
    private typealias Step = @Sendable (CellFrame, UnsafeMutablePointer<Cell>) -> Int

    /// The chains, one after the other, as one call (a closure out of an array is called through
    /// a reabstraction thunk, with its arguments in memory).
    private let program: Step
    private let literals: CellLiterals

    /// The program of a mapping whose code the ``Value`` compiler produced with `slots`; what the
    /// byte level does not cover runs as `valueCode` gives it, reading the slots it names (see
    /// ``CellCompiler``). Nil when the mapping cannot have one.
    init?(
        skips: [Expr], outputs: [Expr], types: [FieldType], slots: [String: Int],
        valueCode: ((Expr) -> (code: Code, reads: [Int]))?
    ) {
        // Chains are nested calls: a mapping so long that they would nest deep keeps to the
        // ``Value`` evaluator (whose chains are an array).
        guard (skips.count + outputs.count) / Program.chainLength <= CellCompiler.maxChain else { return nil }
        let literals = CellLiterals()
        let compiler = CellCompiler(slots: slots, literals: literals, valueCode: valueCode)
        // Built from the last step back, each step capturing the next one directly: a closure
        // passed through an array would be called through a reabstraction thunk. Every
        // `Program.chainLength` steps a chain ends, to be run before the ones made before it.
        var later: Step?
        var step: Step = { _, _ in 0 }
        var length = 0
        func endChain() {
            let chain = step
            if let rest = later {
                later = { f, out in
                    let r = chain(f, out)
                    return r != 0 ? r : rest(f, out)
                }
            } else {
                later = chain
            }
            step = { _, _ in 0 }
            length = 0
        }
        func link() {
            length += 1
            if length == Program.chainLength { endChain() }
        }
        for i in outputs.indices.reversed() {
            guard let code = compiler.compile(outputs[i]) else { return nil }
            let type = types[i]
            let next = step
            step = { f, out in
                out[i] = CellProgram.coerce(code(f), to: type)
                return next(f, out)
            }
            link()
        }
        for rule in skips.indices.reversed() {
            guard let code = compiler.compile(skips[rule]) else { return nil }
            let next = step
            step = { f, out in
                let matched = code(f).isTrue
                if f.undecided { return -1 }
                return matched ? rule + 1 : next(f, out)
            }
            link()
        }
        if length > 0 || later == nil { endChain() }
        let program = later!
        self.program = program
        self.literals = literals
    }

    /// What ``run(_:into:)`` did with a record.
    enum Outcome {
        /// The outputs are in the cells.
        case mapped
        case skipped(rule: Int)
        /// Some operation could not decide: evaluate the record with the ``Value`` evaluator.
        case undecided
    }

    /// Runs the program on the record in `frame`'s slots, writing one cell per output into `out`.
    @inline(__always) func run(_ frame: CellFrame, into out: UnsafeMutablePointer<Cell>) -> Outcome {
        let r = program(frame, out)
        if r < 0 { return .undecided }
        if r > 0 { return .skipped(rule: r - 1) }
        return frame.undecided ? .undecided : .mapped
    }

    /// ``CompiledMapping/coerce(_:to:)`` of a cell.
    @inline(__always) static func coerce(_ c: Cell, to type: FieldType) -> Cell {
        switch (c.kind, type) {
        case (.int, .decimal): Cell(nonText: .decimal(Double(c.payload)))
        case (.date, .datetime): Cell(nonText: .datetime(Dates.millis(ofDay: c.payload)))
        default: c
        }
    }
}
