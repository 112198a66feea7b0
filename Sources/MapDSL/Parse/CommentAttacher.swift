/// Attaches comments to the statement or match arm they belong to, so the formatter can keep them.
///
/// A whole-line comment belongs to the next statement or arm; a comment after code belongs to the
/// statement or arm ending on its line; comments after everything belong to the file.
enum CommentAttacher {
    private enum Anchor {
        case header, key, skip(Int), assignment(Int), arm(assignment: Int, path: [Int])
    }

    static func attach(_ comments: [Comment], to file: inout MappingFile) {
        guard !comments.isEmpty else { return }
        var anchors: [(span: SourceSpan, anchor: Anchor)] = []
        if let h = file.header { anchors.append((h.span, .header)) }
        if let k = file.key { anchors.append((k.span, .key)) }
        for (i, s) in file.skips.enumerated() { anchors.append((s.span, .skip(i))) }
        for (i, a) in file.assignments.enumerated() {
            anchors.append((a.span, .assignment(i)))
            collectArms(a.value, assignment: i, path: [], into: &anchors)
        }
        anchors.sort { $0.span.start < $1.span.start }
        // Anchors by where they end, to find the one ending last before a comment by walking
        // forward as the comments do (they come in order): n log n for any number of comments.
        let byEnd = anchors.indices.sorted { (anchors[$0].span.end, $0) < (anchors[$1].span.end, $1) }
        var ended = 0
        var best: Int?
        for c in comments {
            // The anchor ending last at or before the comment (the first in file order among
            // those ending at the same place).
            while ended < byEnd.count, anchors[byEnd[ended]].span.end <= c.span.start {
                let k = byEnd[ended]
                if let b = best, anchors[b].span.end == anchors[k].span.end { best = min(b, k) } else { best = k }
                ended += 1
            }
            if c.trailing, let b = best {
                // No anchor starts between that one's end and the comment (no newline in between).
                let after = firstAnchor(startingAfter: anchors[b].span.end, in: anchors)
                if after == anchors.count || anchors[after].span.start >= c.span.start {
                    modify(anchors[b].anchor, in: &file) { t in
                        if let existing = t.trailing {
                            t.trailing = Comment(text: existing.text + " #" + c.text, span: existing.span, trailing: true)
                        } else {
                            t.trailing = c
                        }
                    }
                    continue
                }
            }
            let next = firstAnchor(startingAfter: c.span.start, in: anchors)
            if next < anchors.count {
                modify(anchors[next].anchor, in: &file) { $0.leading.append(Comment(text: c.text, span: c.span, trailing: false)) }
            } else {
                file.trailingComments.append(Comment(text: c.text, span: c.span, trailing: false))
            }
        }
    }

    /// The index of the first anchor (sorted by start) that starts after `offset`.
    private static func firstAnchor(startingAfter offset: Int, in anchors: [(span: SourceSpan, anchor: Anchor)]) -> Int {
        var lo = 0
        var hi = anchors.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if anchors[mid].span.start > offset { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    private static func collectArms(
        _ e: Expr, assignment: Int, path: [Int], into anchors: inout [(span: SourceSpan, anchor: Anchor)]
    ) {
        switch e.kind {
        case .match(_, let arms):
            for (i, arm) in arms.enumerated() {
                anchors.append((arm.span, .arm(assignment: assignment, path: path + [i])))
                collectArms(arm.value, assignment: assignment, path: path + [i], into: &anchors)
            }
        case .ifThenElse(_, let a, let b):
            collectArms(a, assignment: assignment, path: path + [-2], into: &anchors)
            collectArms(b, assignment: assignment, path: path + [-3], into: &anchors)
        default:
            break
        }
    }

    private static func modify(_ anchor: Anchor, in file: inout MappingFile, _ body: (inout Trivia) -> Void) {
        switch anchor {
        case .header: body(&file.header!.trivia)
        case .key: body(&file.key!.trivia)
        case .skip(let i): body(&file.skips[i].trivia)
        case .assignment(let i): body(&file.assignments[i].trivia)
        case .arm(let i, let path): modifyArm(&file.assignments[i].value, path: path[...], body)
        }
    }

    private static func modifyArm(_ e: inout Expr, path: ArraySlice<Int>, _ body: (inout Trivia) -> Void) {
        guard let first = path.first else { return }
        if case .ifThenElse(let c, var a, var b) = e.kind, first == -2 || first == -3 {
            if first == -2 { modifyArm(&a, path: path.dropFirst(), body) } else { modifyArm(&b, path: path.dropFirst(), body) }
            e.kind = .ifThenElse(c, a, b)
            return
        }
        guard case .match(let subject, var arms) = e.kind, first >= 0, first < arms.count else { return }
        if path.count == 1 {
            body(&arms[first].trivia)
        } else {
            modifyArm(&arms[first].value, path: path.dropFirst(), body)
        }
        e.kind = .match(subject, arms)
    }
}
