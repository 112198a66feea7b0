/// A compiled mapping's code as a few calls: the skip rules, then each output expression with the
/// conversion to its field's type, chained so that each step calls the next one it captured.
///
/// Calling closures one after another out of an array retains and releases each of them on every
/// record; a step calling the step it holds does not. Chains are at most ``chainLength`` steps
/// long, so the call depth stays small for any mapping.
struct Program: Sendable {
    /// One link: runs its rule or output and the rest of its chain; 0 to go on, or one more than
    /// the number of the skip rule that matched. It throws only ``StepFailure``s.
    private typealias Step = @Sendable (Frame, UnsafeMutablePointer<Value>) throws -> Int

    /// Why a step stopped: the error, and the output whose expression threw (nil for a skip rule).
    struct StepFailure: Error {
        var error: any Error
        var output: Int?
    }

    static let chainLength = 32
    private let chains: [Step]

    /// The program of `skips` (conditions, in order) and `outputs` (expressions, aligned with `types`).
    init(skips: [Code], outputs: [Code], types: [FieldType]) {
        // Built from the last step back, each step capturing the next one directly: a closure
        // passed through an array would be called through a reabstraction thunk.
        var chains: [Step] = []
        var step: Step = { _, _ in 0 }
        var length = 0
        func link() {
            length += 1
            if length == Program.chainLength {
                chains.append(step)
                step = { _, _ in 0 }
                length = 0
            }
        }
        for i in outputs.indices.reversed() {
            let code = outputs[i]
            let type = types[i]
            let next = step
            step = { f, out in
                do {
                    out[i] = CompiledMapping.coerce(try code(f), to: type)
                } catch {
                    throw StepFailure(error: error, output: i)
                }
                return try next(f, out)
            }
            link()
        }
        for rule in skips.indices.reversed() {
            let code = skips[rule]
            let next = step
            step = { f, out in
                let matched: Bool
                do {
                    if case .bool(true) = try code(f) { matched = true } else { matched = false }
                } catch {
                    throw StepFailure(error: error, output: nil)
                }
                return matched ? rule + 1 : try next(f, out)
            }
            link()
        }
        if length > 0 || chains.isEmpty { chains.append(step) }
        self.chains = chains.reversed()
    }

    /// Runs the program on the record in `frame`'s slots, writing the outputs into `out` (as many
    /// initialized values as there are outputs); 0 when the record was mapped, or one more than the
    /// number of the skip rule that matched (the skip rules run first, so no output was written).
    @inline(__always) func run(_ frame: Frame, into out: UnsafeMutablePointer<Value>) throws -> Int {
        for chain in chains {
            let r = try chain(frame, out)
            if r != 0 { return r }
        }
        return 0
    }
}
