/// Decides whether a grammar derives a string: a memoised set-of-positions recogniser (no left
/// recursion allowed, which ``MappingGrammar`` never produces). Used by tests and by `mapc grammar --check`.
public struct GrammarRecognizer {
    private let grammar: Grammar
    private let input: [Unicode.Scalar]
    private var memo: [String: [Int: Set<Int>]] = [:]

    /// Whether `grammar`'s `root` derives exactly `text`.
    public static func accepts(_ grammar: Grammar, _ text: String) -> Bool {
        var r = GrammarRecognizer(grammar: grammar, input: Array(text.unicodeScalars))
        return r.ends(.ref("root"), 0).contains(r.input.count)
    }

    private init(grammar: Grammar, input: [Unicode.Scalar]) {
        self.grammar = grammar
        self.input = input
    }

    private mutating func ends(_ e: GrammarExpr, _ pos: Int) -> Set<Int> {
        switch e {
        case .literal(let s):
            let u = Array(s.unicodeScalars)
            guard pos + u.count <= input.count, Array(input[pos..<(pos + u.count)]) == u else { return [] }
            return [pos + u.count]
        case .chars(let c):
            return pos < input.count && c.contains(input[pos]) ? [pos + 1] : []
        case .ref(let name):
            if let hit = memo[name]?[pos] { return hit }
            memo[name, default: [:]][pos] = []  // guards against (unsupported) left recursion
            let result = grammar.rule(name).map { ends($0, pos) } ?? []
            memo[name, default: [:]][pos] = result
            return result
        case .sequence(let es):
            var positions: Set<Int> = [pos]
            for x in es {
                var next = Set<Int>()
                for p in positions { next.formUnion(ends(x, p)) }
                positions = next
                if positions.isEmpty { break }
            }
            return positions
        case .choice(let es):
            var out = Set<Int>()
            for x in es { out.formUnion(ends(x, pos)) }
            return out
        case .optional(let x):
            return ends(x, pos).union([pos])
        case .zeroOrMore(let x):
            return closure(x, from: [pos])
        case .oneOrMore(let x):
            var first = Set<Int>()
            first.formUnion(ends(x, pos))
            return closure(x, from: first)
        }
    }

    private mutating func closure(_ x: GrammarExpr, from start: Set<Int>) -> Set<Int> {
        var seen = start
        var frontier = Array(start)
        while let p = frontier.popLast() {
            for q in ends(x, p) where q > p && !seen.contains(q) {
                seen.insert(q)
                frontier.append(q)
            }
        }
        return seen
    }
}
