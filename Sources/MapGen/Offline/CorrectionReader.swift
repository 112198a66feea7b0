import Foundation
import MapDSL

/// Sentences that correct an earlier one after the fact (issue 18, round 8): "edit: sorry, the cutoff is 2
/// million not 1M", "Correction: Gold, not Silver", "scratch that — use 30 instead of 20", "I meant 5 rather
/// than 4". A correction that swaps one value for another is applied to the one earlier rule that holds the
/// old value; any other correction is listed as not implemented, and the rules it may change are flagged.
enum CorrectionReader {
    /// Openings that mark a sentence as a correction of what was said before.
    static let openings: [String] = [
        #"^(edit|edited|correction|corrected|update|updated|erratum|typo)\b"#,
        #"^(sorry|oops|whoops|my bad)\b"#,
        #"^(scratch that|strike that|on second thought|wait|actually|make that|i meant|i mean)\b"#,
        #"^(to correct|let me correct|one correction|small correction|quick correction)\b"#,
    ]

    /// Phrases anywhere in a sentence that say it corrects something ("…, I meant 5", "should have said").
    static let inner: [String] = [
        #"\bi meant\b"#, #"\bshould have said\b"#, #"\bi mis(typed|spoke|wrote)\b"#, #"\bnot what i meant\b"#,
    ]

    /// Whether the sentence corrects an earlier one: it opens with a correction word ("edit:", "sorry,",
    /// "scratch that") or says "I meant", and it holds something to correct (a value, a number or a field),
    /// so "sorry for the long list" is no correction.
    static func isCorrection(_ sentence: String, tokens: [ProseToken]) -> Bool {
        let lower = sentence.lowercased().drop { !$0.isLetter }
        let text = String(lower)
        let opens = openings.contains { text.range(of: $0, options: .regularExpression) != nil }
        let says = inner.contains { text.range(of: $0, options: .regularExpression) != nil }
        guard opens || says else { return false }
        return tokens.contains { $0.kind == .quoted || number($0) != nil || $0.destination != nil || $0.source != nil }
            || tokens.contains { $0.isWord("not", "instead", "rather") }
    }

    /// A value the correction names: a number ("2 million" and "2M" are already one number token) or a
    /// quoted text.
    enum Value: Equatable {
        case number(Double)
        case text(String)
    }

    static func number(_ t: ProseToken) -> Double? {
        guard t.kind == .word else { return nil }
        let s = t.text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "$", with: "")
        guard s.first?.isNumber == true else { return nil }
        return Double(s)
    }

    /// The old and the new value of "X not Y", "X, not Y", "not Y but X", "X instead of Y", "X rather than
    /// Y", "change Y to X", "replace Y with X", "Y -> X"; nil when the sentence says none of these with one
    /// value on each side (unquoted words are values only when quoted in `rules`).
    static func substitution(_ tokens: [ProseToken], rules: [String]) -> (old: Value, new: Value)? {
        func value(_ at: Int) -> Value? {
            guard at >= 0, at < tokens.count else { return nil }
            let t = tokens[at]
            if let n = number(t) { return .number(n) }
            if t.kind == .quoted { return .text(t.text) }
            // An unquoted word is a value only when some rule holds it quoted ("Gold, not Silver").
            if t.kind == .word, t.source == nil, rules.contains(where: { $0.contains("\"\(t.text)\"") }) { return .text(t.text) }
            return nil
        }
        var found: [(old: Value, new: Value)] = []
        for (i, t) in tokens.enumerated() {
            if t.isWord("not"), i + 1 < tokens.count {
                // "X not Y", "X, not Y", "X and not Y".
                var before = i - 1
                while before >= 0, tokens[before].isPunct(",") || tokens[before].isWord("and", "but") { before -= 1 }
                if let new = value(before), let old = value(i + 1) {
                    found.append((old, new))
                    continue
                }
                // "not Y but X", "not Y, X".
                if let old = value(i + 1) {
                    var after = i + 2
                    while after < tokens.count, tokens[after].isPunct(",") || tokens[after].isWord("but", "it", "is", "s") { after += 1 }
                    if after > i + 2, let new = value(after) { found.append((old, new)) }
                }
            } else if t.isWord("instead") || t.isWord("rather"), i + 2 < tokens.count, tokens[i + 1].isWord("of", "than") {
                if let new = value(i - 1), let old = value(i + 2) { found.append((old, new)) }
            } else if t.isWord("change", "replace", "swap"), i + 3 < tokens.count, tokens[i + 2].isWord("to", "with", "for", "into") {
                if let old = value(i + 1), let new = value(i + 3) { found.append((old, new)) }
            } else if t.isPunct("->"), let old = value(i - 1), let new = value(i + 1) {
                found.append((old, new))
            }
        }
        guard found.count == 1, found[0].old != found[0].new else { return nil }
        return found[0]
    }

    /// The ranges of `value`'s literal in rule text `rule`: a number written the same way (a whole number
    /// with no decimals; 1000000 for "1M"), or a quoted text.
    static func occurrences(of value: Value, in rule: String) -> [Range<String.Index>] {
        switch value {
        case .number(let n):
            guard let re = try? NSRegularExpression(pattern: #"(?<![\w."])-?\d+(\.\d+)?(?![\w."])"#) else { return [] }
            let ns = rule as NSString
            return re.matches(in: rule, range: NSRange(location: 0, length: ns.length)).compactMap { m in
                guard Double(ns.substring(with: m.range)) == n else { return nil }
                return Range(m.range, in: rule)
            }
        case .text(let s):
            let quoted = Formatter.stringLiteral(s)
            var out: [Range<String.Index>] = []
            var from = rule.startIndex
            while let r = rule.range(of: quoted, range: from..<rule.endIndex) {
                out.append(r)
                from = r.upperBound
            }
            return out
        }
    }

    static func literal(_ value: Value) -> String {
        switch value {
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .text(let s): Formatter.stringLiteral(s)
        }
    }
}

extension OfflineGenerator {
    /// Applies correction sentence `index` to the rules read before it: the one rule that holds the old
    /// value (of the fields the sentence names, if it names any; among rules holding a value the sentence
    /// also names, if it names one) gets the new value, and its note says so. When no single rule can be
    /// corrected, the sentence is listed and the rules it may change (those of the sentence before, those
    /// of fields it names, those holding a value it names) are flagged. Returns whether it was applied.
    @discardableResult
    static func applyCorrection(
        _ sentence: String, tokens: [ProseToken], index: Int, lines: inout [String: Line], unread: inout [Int: [String]]
    ) -> Bool {
        let earlier = lines.values.filter { ($0.sentence ?? -1) < index }
        let named = Set(tokens.compactMap(\.destination).map(\.name))
        // Words of the sentence that some rule holds as a quoted value ("the Warm cutoff").
        let valueWords = tokens.filter { t in
            t.kind == .word && t.source == nil && t.lower.count > 1 && earlier.contains { $0.value.contains("\"\(t.text)\"") }
        }.map(\.text)
        func concerned(_ l: Line) -> Bool {
            if !named.isEmpty { return named.contains(l.field.name) }
            if !valueWords.isEmpty { return valueWords.contains { l.value.contains("\"\($0)\"") } }
            return true
        }
        if let sub = CorrectionReader.substitution(tokens, rules: earlier.map(\.value)) {
            let holding = earlier.filter { concerned($0) && !CorrectionReader.occurrences(of: sub.old, in: $0.value).isEmpty }
            // The most recent sentence that holds it; one rule there.
            if let latest = holding.compactMap(\.sentence).max() {
                let there = holding.filter { $0.sentence == latest }
                if there.count == 1 {
                    var line = there[0]
                    var text = line.value
                    for r in CorrectionReader.occurrences(of: sub.old, in: text).reversed() {
                        text.replaceSubrange(r, with: CorrectionReader.literal(sub.new))
                    }
                    line.value = text
                    line.note += ", corrected by [S\(index + 1)]"
                    lines[line.field.name] = line
                    return true
                }
            }
        }
        unread[index + 1, default: []].append("a correction it could not apply")
        for l in earlier where l.sentence == index - 1 || concerned(l) && (!named.isEmpty || !valueWords.isEmpty) {
            guard !l.isFlagged || !l.note.contains("[S\(index + 1)]") else { continue }
            var f = l
            f.note = "REVIEW: [S\(index + 1)] corrects an earlier sentence and was not applied; " + f.note
            f.confidence = min(f.confidence, 0.4)
            lines[f.field.name] = f
        }
        return false
    }
}
