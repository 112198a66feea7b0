/// Generates random strings a grammar derives, for testing that every such string parses.
public struct GrammarSampler {
    private let grammar: Grammar
    private var rng: SplitMix64
    private var heights: [String: Int] = [:]
    /// Past this depth the sampler takes the shortest way out of every choice.
    public var maxDepth = 14
    /// Characters tried for negated classes such as `[^"\\\n]`.
    static let pool = Array("abcxyzABCXYZ0129 _-.,:/@#é()".unicodeScalars)

    /// Creates a sampler with a fixed seed.
    public init(_ grammar: Grammar, seed: UInt64) {
        self.grammar = grammar
        self.rng = SplitMix64(seed: seed)
        self.heights = GrammarSampler.minimumHeights(grammar)
    }

    /// One random string from `root`.
    public mutating func sample() -> String {
        var out = String.UnicodeScalarView()
        generate(.ref("root"), depth: 0, into: &out)
        return String(out)
    }

    private mutating func generate(_ e: GrammarExpr, depth: Int, into out: inout String.UnicodeScalarView) {
        switch e {
        case .literal(let s): out.append(contentsOf: s.unicodeScalars)
        case .chars(let c): out.append(pick(c))
        case .ref(let n):
            if let r = grammar.rule(n) { generate(r, depth: depth + 1, into: &out) }
        case .sequence(let es): for x in es { generate(x, depth: depth, into: &out) }
        case .choice(let es):
            let chosen: GrammarExpr
            if depth >= maxDepth {
                chosen = es.min { height($0) < height($1) }!
            } else {
                chosen = es[Int(rng.next() % UInt64(es.count))]
            }
            generate(chosen, depth: depth, into: &out)
        case .optional(let x):
            if depth < maxDepth, rng.next() % 2 == 0 { generate(x, depth: depth, into: &out) }
        case .zeroOrMore(let x):
            let n = depth < maxDepth ? Int(rng.next() % 3) : 0
            for _ in 0..<n { generate(x, depth: depth, into: &out) }
        case .oneOrMore(let x):
            let n = depth < maxDepth ? 1 + Int(rng.next() % 2) : 1
            for _ in 0..<n { generate(x, depth: depth, into: &out) }
        }
    }

    private mutating func pick(_ c: CharClass) -> Unicode.Scalar {
        if !c.negated, !c.ranges.isEmpty {
            let r = c.ranges[Int(rng.next() % UInt64(c.ranges.count))]
            let v = r.lowerBound + UInt32(rng.next() % UInt64(r.upperBound - r.lowerBound + 1))
            return Unicode.Scalar(v) ?? "a"
        }
        let allowed = GrammarSampler.pool.filter { c.contains($0) }
        return allowed.isEmpty ? "a" : allowed[Int(rng.next() % UInt64(allowed.count))]
    }

    private func height(_ e: GrammarExpr) -> Int { GrammarSampler.height(e, heights) }

    static func height(_ e: GrammarExpr, _ h: [String: Int]) -> Int {
        switch e {
        case .literal, .chars, .optional, .zeroOrMore: return 0
        case .ref(let n): return (h[n] ?? Int.max / 2) + 1
        case .sequence(let es): return es.map { height($0, h) }.max() ?? 0
        case .choice(let es): return es.map { height($0, h) }.min() ?? 0
        case .oneOrMore(let x): return height(x, h)
        }
    }

    /// The least derivation depth of each rule (a fixpoint).
    static func minimumHeights(_ g: Grammar) -> [String: Int] {
        var h: [String: Int] = [:]
        var changed = true
        while changed {
            changed = false
            for (name, expr) in g.rules {
                let v = height(expr, h)
                if v < Int.max / 4, v < (h[name] ?? Int.max) {
                    h[name] = v
                    changed = true
                }
            }
        }
        return h
    }
}

/// A small, fast, seedable random generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
