/// "Did you mean" suggestions by edit distance over normalised names.
public enum Suggest {
    /// The candidate closest to `name`, when it is close enough to be a likely typo.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        let target = normalise(name)
        guard !target.isEmpty else { return nil }
        var best: (String, Int)?
        for c in candidates {
            let n = normalise(c)
            if n == target { return c }
            let d = distance(target, n, limit: 4)
            let allowed = target.count <= 4 ? 1 : target.count <= 8 ? 2 : 3
            if d <= allowed, best == nil || d < best!.1 { best = (c, d) }
        }
        if let best { return best.0 }
        // A candidate that contains the name or is contained in it (email → email_address).
        if target.count >= 4,
            let c = candidates.filter({ normalise($0).contains(target) || target.contains(normalise($0)) && normalise($0).count >= 4 })
                .min(by: { $0.count < $1.count })
        {
            return c
        }
        return nil
    }

    /// Lower case without `_`, `-`, `.` and spaces.
    public static func normalise(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != " " && $0 != "." }.map(Character.init))
    }

    /// Optimal-string-alignment distance (edits plus adjacent transpositions), giving up (returning
    /// `limit + 1`) past `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int) -> Int {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        if abs(x.count - y.count) > limit { return limit + 1 }
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var before = [Int](repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            var rowMin = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] { d = min(d, before[j - 2] + 1) }
                cur[j] = d
                rowMin = min(rowMin, d)
            }
            if rowMin > limit { return limit + 1 }
            (before, prev, cur) = (prev, cur, before)
        }
        return prev[y.count]
    }
}
