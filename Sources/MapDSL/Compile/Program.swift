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
        var links: [(@escaping Step) -> Step] = []
        for (rule, code) in skips.enumerated() {
            links.append { next in
                { f, out in
                    let matched: Bool
                    do {
                        if case .bool(true) = try code(f) { matched = true } else { matched = false }
                    } catch {
                        throw StepFailure(error: error, output: nil)
                    }
                    return matched ? rule + 1 : try next(f, out)
                }
            }
        }
        for (i, code) in outputs.enumerated() {
            let type = types[i]
            links.append { next in
                { f, out in
                    do {
                        out[i] = CompiledMapping.coerce(try code(f), to: type)
                    } catch {
                        throw StepFailure(error: error, output: i)
                    }
                    return try next(f, out)
                }
            }
        }
        var chains: [Step] = []
        var start = 0
        while start < links.count {
            let end = min(start + Program.chainLength, links.count)
            var step: Step = { _, _ in 0 }
            for link in links[start..<end].reversed() { step = link(step) }
            chains.append(step)
            start = end
        }
        self.chains = chains
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
