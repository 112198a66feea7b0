/// The result of parsing: a tree (possibly with `.error` nodes) and the diagnostics found on the way.
public struct ParseResult: Sendable {
    /// The tree; always present, even for badly broken input.
    public var file: MappingFile
    /// Lexical and syntax diagnostics.
    public var diagnostics: [Diagnostic]
}

/// A recursive-descent parser that never throws and never hangs: every loop consumes a token or stops.
public struct Parser {
    private var tokens: [Token]
    private var pos = 0
    /// While positive, newlines are insignificant (inside parentheses).
    private var parenDepth = 0
    private var diagnostics: [Diagnostic] = []
    private let comments: [Comment]
    /// Parsing functions active for the expression being parsed (each nesting level of the text
    /// takes one to three of them).
    private var nestingDepth = 0
    /// The most ``nestingDepth`` may reach: beyond it the text nests deeper than any tree the
    /// parser builds (``Expr/maxDepth``), with parentheses or signs that add no node.
    private static let maxNesting = 4 * Expr.maxDepth
    /// Set when the statement being parsed nests too deeply: every parsing function then returns
    /// at once, and the statement is skipped.
    private var tooDeep = false
    /// Syntax errors found, and where the first one not kept (past ``Lexer/maxDiagnostics``) is.
    private var syntaxErrors = 0
    private var firstDropped: SourceSpan?

    /// Parses a mapping file.
    public static func parse(_ source: SourceText) -> ParseResult {
        let lexer = Lexer.lex(source)
        var p = Parser(tokens: lexer.tokens, comments: lexer.comments)
        p.diagnostics = lexer.diagnostics
        var file = p.parseFile()
        CommentAttacher.attach(lexer.comments, to: &file)
        return ParseResult(file: file, diagnostics: p.diagnostics)
    }

    /// Parses a single expression (used by tests and tools); trailing tokens are reported.
    public static func parseExpression(_ source: SourceText) -> (Expr, [Diagnostic]) {
        let lexer = Lexer.lex(source)
        var p = Parser(tokens: lexer.tokens, comments: lexer.comments)
        p.diagnostics = lexer.diagnostics
        p.skipNewlines()
        let start = p.pos
        let e = p.parseExpr()
        if p.tooDeep { p.skipDeepStatement(from: start) }
        p.skipNewlines()
        if p.current.kind != .eof {
            p.error(.expectedToken, "unexpected \(p.current.kind.display) after the expression", at: p.current.span)
        }
        return (e, p.diagnostics)
    }

    private init(tokens: [Token], comments: [Comment]) {
        self.tokens = tokens.filter { $0.kind != .invalid }
        if self.tokens.last?.kind != .eof {
            self.tokens.append(Token(kind: .eof, span: .point(tokens.last?.span.end ?? 0), text: ""))
        }
        self.comments = comments
    }

    // MARK: Token access

    private var current: Token {
        if parenDepth > 0 {
            var i = pos
            while tokens[i].kind == .newline { i += 1 }
            return tokens[i]
        }
        return tokens[pos]
    }

    private mutating func advance() -> Token {
        if parenDepth > 0 { while tokens[pos].kind == .newline { pos += 1 } }
        let t = tokens[pos]
        if t.kind != .eof { pos += 1 }
        return t
    }

    private func at(_ kind: TokenKind) -> Bool { current.kind == kind }

    private mutating func eat(_ kind: TokenKind) -> Token? {
        at(kind) ? advance() : nil
    }

    private mutating func skipNewlines() {
        while tokens[pos].kind == .newline { pos += 1 }
    }

    /// The kind of the next non-newline token, looking past newlines even at depth 0.
    private func peekPastNewlines() -> TokenKind {
        var i = pos
        while tokens[i].kind == .newline { i += 1 }
        return tokens[i].kind
    }

    private var previousEnd: Int { pos > 0 ? tokens[pos - 1].span.end : 0 }

    private mutating func error(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan, help: String? = nil
    ) {
        // One syntax error per position is enough.
        if let last = diagnostics.last, last.span.start == span.start, last.code.rawValue.hasPrefix("E01") { return }
        syntaxErrors += 1
        if syntaxErrors > Lexer.maxDiagnostics {
            if syntaxErrors == Lexer.maxDiagnostics + 1 { firstDropped = span }
            return
        }
        diagnostics.append(Diagnostic(code, message, at: span, help: help))
    }

    @discardableResult
    private mutating func expect(_ kind: TokenKind, _ what: String, help: String? = nil) -> Token? {
        if let t = eat(kind) { return t }
        error(.expectedToken, "expected \(what), found \(current.kind.display)", at: current.span, help: help)
        return nil
    }

    /// Reports that the statement nests too deeply (once) and gives the node that stands for it.
    private mutating func tooDeeplyNested(at span: SourceSpan) -> Expr {
        if !tooDeep {
            tooDeep = true
            diagnostics.append(
                Diagnostic(
                    .nestedTooDeeply, "this expression nests more than \(Expr.maxDepth) levels deep", at: span,
                    help: "split it: long chains of `+`, `and`, `or` or `??` read better as `concat(...)`, `match` or `coalesce(...)`"))
        }
        return Expr(.error, span)
    }

    /// `Expr(kind, span)`, or an error node when that nests too deeply.
    private mutating func node(_ kind: Expr.Kind, _ span: SourceSpan) -> Expr {
        let e = Expr(kind, span)
        return e.depth > Expr.maxDepth ? tooDeeplyNested(at: span) : e
    }

    /// After a statement that nests too deeply: skips the rest of it, from token `first` to the end
    /// of the line where its parentheses and braces are balanced.
    private mutating func skipDeepStatement(from first: Int) {
        var balance = 0
        var i = first
        while tokens[i].kind != .eof {
            let kind = tokens[i].kind
            if kind == .newline && balance == 0 && i >= pos { break }
            if kind == .lparen || kind == .lbrace { balance += 1 }
            if kind == .rparen || kind == .rbrace { balance = max(0, balance - 1) }
            i += 1
        }
        pos = i
        parenDepth = 0
        tooDeep = false
    }

    /// Skips to the start of the next line at paren depth 0.
    private mutating func synchronize() {
        parenDepth = 0
        while tokens[pos].kind != .newline && tokens[pos].kind != .eof { pos += 1 }
        skipNewlines()
    }

    // MARK: File

    private mutating func parseFile() -> MappingFile {
        var file = MappingFile()
        skipNewlines()
        var sawStatement = false
        while !at(.eof) {
            let before = pos
            parseStatement(into: &file, sawStatement: &sawStatement)
            if pos == before { _ = advance() }
            skipNewlines()
        }
        if file.header == nil {
            let span = tokens.first?.span ?? .point(0)
            error(
                .missingHeader, "the mapping has no `mapping source -> destination` header", at: SourceSpan(span.start, span.start),
                help: "start the file with a line like `mapping hubspot.contact -> salesforce.Lead`")
        }
        if let span = firstDropped {
            diagnostics.append(
                Diagnostic(
                    .expectedToken, "\(syntaxErrors - Lexer.maxDiagnostics) more syntax errors are not listed", at: span,
                    help: "fix the first ones; later errors often follow from them"))
        }
        return file
    }

    private mutating func parseStatement(into file: inout MappingFile, sawStatement: inout Bool) {
        let start = current.span.start
        switch current.kind {
        case .kwMapping:
            _ = advance()
            guard let source = parseObjectRef("the source object, like `hubspot.contact`") else { return synchronize() }
            guard expect(.arrow, "`->` between the source and destination objects") != nil else { return synchronize() }
            guard let dest = parseObjectRef("the destination object, like `salesforce.Lead`") else { return synchronize() }
            let header = MappingHeader(source: source, destination: dest, span: SourceSpan(start, previousEnd))
            if let existing = file.header {
                error(.duplicateHeader, "a second `mapping` header", at: header.span, help: "a file maps exactly one pair of objects")
                _ = existing
            } else {
                if sawStatement {
                    error(
                        .expectedToken, "the `mapping` header must come first", at: header.span,
                        help: "move this line to the top of the file")
                }
                file.header = header
            }
            endOfStatement()
        case .kwKey where tokens[pos + 1].kind != .assign:
            _ = advance()
            guard let name = parseName("the destination key field, like `key Email`") else { return synchronize() }
            let decl = KeyDeclaration(field: name, span: SourceSpan(start, previousEnd))
            if file.key != nil {
                error(.duplicateHeader, "a second `key` declaration", at: decl.span, help: "a mapping has exactly one key field")
            } else {
                file.key = decl
            }
            sawStatement = true
            endOfStatement()
        case .kwSkip where tokens[pos + 1].kind != .assign:
            let first = pos
            _ = advance()
            expect(.kwWhen, "`when` after `skip`", help: "write `skip when blank(email)`")
            let cond = parseExpr()
            if tooDeep { skipDeepStatement(from: first) }
            file.skips.append(SkipRule(condition: cond, span: SourceSpan(start, cond.span.end)))
            sawStatement = true
            endOfStatement()
        case .identifier, .quotedIdentifier, .kwKey, .kwSkip:
            let first = pos
            guard let target = parseName("a destination field") else { return synchronize() }
            guard
                expect(
                    .assign, "`=` after the destination field `\(target.text)`",
                    help: "each line assigns one destination field: `\(target.text) = expression`") != nil
            else { return synchronize() }
            let value = parseExpr()
            if tooDeep { skipDeepStatement(from: first) }
            file.assignments.append(Assignment(target: target, value: value, span: SourceSpan(start, value.span.end)))
            sawStatement = true
            endOfStatement()
        default:
            error(
                .expectedToken, "expected an assignment like `Field = expression`, found \(current.kind.display)",
                at: current.span)
            synchronize()
        }
    }

    private mutating func endOfStatement() {
        if at(.newline) || at(.eof) {
            skipNewlines()
            return
        }
        error(
            .expectedToken, "expected end of line, found \(current.kind.display)", at: current.span,
            help: "write one statement per line")
        synchronize()
    }

    private mutating func parseObjectRef(_ what: String) -> ObjectRef? {
        guard current.kind.isName else {
            error(.expectedToken, "expected \(what), found \(current.kind.display)", at: current.span)
            return nil
        }
        let first = advance()
        guard eat(.dot) != nil, current.kind.isName else {
            error(
                .expectedToken, "expected \(what)", at: SourceSpan(first.span.start, current.span.end),
                help: "objects are written `platform.Object`")
            return nil
        }
        let second = advance()
        return ObjectRef(platform: first.text, object: second.text, span: SourceSpan(first.span.start, second.span.end))
    }

    /// A possibly dotted field name: `Email`, `traits.email`, `` `First Name` ``.
    private mutating func parseName(_ what: String) -> Name? {
        guard current.kind.isName || current.kind == .kwKey || current.kind == .kwSkip else {
            error(.expectedToken, "expected \(what), found \(current.kind.display)", at: current.span)
            return nil
        }
        let first = advance()
        var text = first.text
        var quoted = first.kind == .quotedIdentifier
        var end = first.span.end
        while at(.dot), tokens[pos + 1].kind.isName {
            _ = advance()
            let part = advance()
            text += "." + part.text
            quoted = quoted || part.kind == .quotedIdentifier
            end = part.span.end
        }
        return Name(text, span: SourceSpan(first.span.start, end), quoted: quoted)
    }

    // MARK: Expressions

    /// Parses an expression; on failure returns an `.error` node and reports once.
    mutating func parseExpr() -> Expr {
        parseBinary(minPrecedence: 1)
    }

    /// Enters one parsing function of an expression: false (after reporting) when the text nests
    /// too deeply or already did; pair a true answer with ``leave()``.
    private mutating func enter() -> Bool {
        if tooDeep { return false }
        if nestingDepth >= Parser.maxNesting {
            _ = tooDeeplyNested(at: current.span)
            return false
        }
        nestingDepth += 1
        return true
    }

    private mutating func leave() { nestingDepth -= 1 }

    private func binaryOperator(_ kind: TokenKind) -> BinaryOperator? {
        switch kind {
        case .kwOr: .or
        case .kwAnd: .and
        case .eq: .eq
        case .ne: .ne
        case .lt: .lt
        case .le: .le
        case .gt: .gt
        case .ge: .ge
        case .coalesce: .coalesce
        case .plus: .add
        case .minus: .sub
        case .star: .mul
        case .slash: .div
        case .percent: .mod
        default: nil
        }
    }

    /// The operator at the current position, looking past line breaks when the next line starts with one
    /// (a continuation line).
    private mutating func peekOperator() -> BinaryOperator? {
        if let op = binaryOperator(current.kind) { return op }
        if current.kind == .newline, let op = binaryOperator(peekPastNewlines()), op != .sub {
            skipNewlines()
            return op
        }
        return nil
    }

    private mutating func parseBinary(minPrecedence: Int) -> Expr {
        guard enter() else { return Expr(.error, current.span) }
        defer { leave() }
        var lhs = parseUnary()
        while !tooDeep, let op = peekOperator(), op.precedence >= minPrecedence {
            _ = advance()
            skipNewlines()
            let nextMin = op.rightAssociative ? op.precedence : op.precedence + 1
            let rhs = parseBinary(minPrecedence: nextMin)
            lhs = node(.binary(op, lhs, rhs), lhs.span.union(rhs.span))
            if op.isComparison, let next = binaryOperator(current.kind), next.isComparison {
                error(
                    .expectedToken, "comparisons cannot be chained", at: current.span,
                    help: "combine comparisons with `and`")
            }
        }
        return lhs
    }

    private mutating func parseUnary() -> Expr {
        guard enter() else { return Expr(.error, current.span) }
        defer { leave() }
        let start = current.span.start
        if eat(.kwNot) != nil {
            let operand = parseBinary(minPrecedence: 3)
            return node(.unary(.not, operand), SourceSpan(start, operand.span.end))
        }
        if eat(.minus) != nil {
            let operand = parseUnary()
            // Fold negative literals so patterns and constants read naturally.
            switch operand.kind {
            case .integer(let i): return Expr(.integer(-i), SourceSpan(start, operand.span.end))
            case .decimal(let d):
                return Expr(.decimal(d.hasPrefix("-") ? String(d.dropFirst()) : "-" + d), SourceSpan(start, operand.span.end))
            default: return node(.unary(.negate, operand), SourceSpan(start, operand.span.end))
            }
        }
        return parsePostfix()
    }

    private mutating func parsePostfix() -> Expr {
        var e = parsePrimary()
        while !tooDeep && (at(.dot) || at(.optionalDot)) {
            let optional = advance().kind == .optionalDot
            guard current.kind.isName else {
                error(.expectedToken, "expected a field name after `\(optional ? "?." : ".")`", at: current.span)
                break
            }
            let t = advance()
            let name = Name(t.text, span: t.span, quoted: t.kind == .quotedIdentifier)
            e = node(.member(e, name, optional: optional), e.span.union(t.span))
        }
        return e
    }

    private mutating func parsePrimary() -> Expr {
        let t = current
        switch t.kind {
        case .string:
            _ = advance()
            return Expr(.string(t.text), t.span)
        case .integer:
            _ = advance()
            return Expr(.integer(Int(t.text) ?? 0), t.span)
        case .decimal:
            _ = advance()
            return Expr(.decimal(t.text), t.span)
        case .kwTrue, .kwFalse:
            _ = advance()
            return Expr(.bool(t.kind == .kwTrue), t.span)
        case .kwNull:
            _ = advance()
            return Expr(.null, t.span)
        case .lparen:
            _ = advance()
            parenDepth += 1
            let inner = parseExpr()
            if tooDeep {
                parenDepth -= 1
                return inner
            }
            let close = current
            if eat(.rparen) == nil {
                error(
                    .unclosedDelimiter, "expected `)` to close the parenthesis", at: current.span,
                    help: "the `(` opened here is not closed")
                parenDepth -= 1
                return Expr(inner.kind, SourceSpan(t.span.start, inner.span.end))
            }
            parenDepth -= 1
            return Expr(inner.kind, SourceSpan(t.span.start, close.span.end))
        case .kwIf:
            return parseIf()
        case .kwMatch:
            return parseMatch()
        case .identifier, .quotedIdentifier:
            if t.kind == .identifier, tokens[pos + 1].kind == .lparen {
                return parseCall()
            }
            guard let name = parseName("a field") else { return Expr(.error, t.span) }
            return Expr(.field(name), name.span)
        default:
            error(
                .expectedExpression, "expected an expression, found \(t.kind.display)", at: t.span,
                help: t.kind == .newline ? "the expression continues on the next line only after an operator" : nil)
            return Expr(.error, SourceSpan(t.span.start, t.span.start))
        }
    }

    private mutating func parseCall() -> Expr {
        let nameTok = advance()
        let name = Name(nameTok.text, span: nameTok.span)
        _ = advance()  // (
        parenDepth += 1
        var args: [Expr] = []
        if !at(.rparen) {
            while !tooDeep {
                let before = pos
                args.append(parseExpr())
                if tooDeep { break }
                if eat(.comma) != nil {
                    if at(.rparen) { break }  // trailing comma
                    continue
                }
                if at(.rparen) || at(.eof) || pos == before { break }
                // A line break before the next token most likely means the `)` was forgotten.
                if tokens[pos].kind == .newline { break }
                error(
                    .expectedToken, "expected `,` or `)` in the arguments of `\(name.text)`, found \(current.kind.display)",
                    at: current.span)
                break
            }
        }
        parenDepth -= 1
        if tooDeep { return Expr(.error, SourceSpan(nameTok.span.start, previousEnd)) }
        var end = previousEnd
        if let close = eat(.rparen) {
            end = close.span.end
        } else {
            error(.unclosedDelimiter, "expected `)` to close the call of `\(name.text)`", at: current.span)
            // Recover: skip to the closing parenthesis on this line, if any.
            var i = pos
            while tokens[i].kind != .newline && tokens[i].kind != .eof && tokens[i].kind != .rparen { i += 1 }
            if tokens[i].kind == .rparen {
                pos = i + 1
                end = tokens[i].span.end
            }
        }
        return node(.call(name, args), SourceSpan(nameTok.span.start, end))
    }

    private mutating func parseIf() -> Expr {
        let start = advance().span.start
        let cond = parseExpr()
        if tooDeep { return cond }
        if at(.newline), peekPastNewlines() == .kwThen { skipNewlines() }
        guard expect(.kwThen, "`then` after the condition", help: "write `if condition then a else b`") != nil else {
            return Expr(.ifThenElse(cond, Expr(.error, cond.span), Expr(.error, cond.span)), SourceSpan(start, cond.span.end))
        }
        skipNewlines()
        let thenExpr = parseExpr()
        if tooDeep { return thenExpr }
        if at(.newline), peekPastNewlines() == .kwElse { skipNewlines() }
        guard expect(.kwElse, "`else` after the `then` branch", help: "every `if` needs an `else`: `if c then a else b`") != nil
        else {
            return Expr(.ifThenElse(cond, thenExpr, Expr(.error, thenExpr.span)), SourceSpan(start, thenExpr.span.end))
        }
        skipNewlines()
        let elseExpr = parseExpr()
        return node(.ifThenElse(cond, thenExpr, elseExpr), SourceSpan(start, elseExpr.span.end))
    }

    private mutating func parseMatch() -> Expr {
        let start = advance().span.start
        let subject = parseExpr()
        if tooDeep { return subject }
        if at(.newline), peekPastNewlines() == .lbrace { skipNewlines() }
        guard expect(.lbrace, "`{` to open the match arms", help: "write `match value { \"a\" => x, _ => y }`") != nil else {
            return Expr(.match(subject, []), SourceSpan(start, subject.span.end))
        }
        let savedDepth = parenDepth
        parenDepth = 0
        var arms: [MatchArm] = []
        skipNewlines()
        while !at(.rbrace) && !at(.eof) {
            let before = pos
            if let arm = parseArm() { arms.append(arm) }
            if tooDeep {
                parenDepth = savedDepth
                return Expr(.error, SourceSpan(start, previousEnd))
            }
            if eat(.comma) != nil || at(.newline) {
                skipNewlines()
            } else if !at(.rbrace) && !at(.eof) {
                error(
                    .expectedToken, "expected a new line or `,` between match arms, found \(current.kind.display)",
                    at: current.span)
                while !at(.newline) && !at(.rbrace) && !at(.eof) { _ = advance() }
                skipNewlines()
            }
            if pos == before { _ = advance() }
        }
        parenDepth = savedDepth
        var end = previousEnd
        if let close = eat(.rbrace) {
            end = close.span.end
        } else {
            error(
                .unclosedDelimiter, "expected `}` to close the match", at: current.span,
                help: "the `{` of this match is never closed")
        }
        return node(.match(subject, arms), SourceSpan(start, end))
    }

    private mutating func parseArm() -> MatchArm? {
        let start = current.span.start
        var patterns: [Pattern] = []
        while true {
            let t = current
            switch t.kind {
            case .identifier where t.text == "_":
                _ = advance()
                patterns.append(.wildcard(t.span))
            case .string, .integer, .decimal, .kwTrue, .kwFalse, .kwNull, .minus:
                let e = parseUnary()
                if tooDeep { return nil }
                patterns.append(.literal(e))
            default:
                error(
                    .expectedToken, "expected a match pattern (a literal or `_`), found \(t.kind.display)", at: t.span,
                    help: "patterns are literals like \"lead\", 42, true, null, or `_` for the default")
                while !at(.newline) && !at(.rbrace) && !at(.eof) { _ = advance() }
                return nil
            }
            if eat(.comma) != nil, !at(.fatArrow) { continue }
            break
        }
        guard expect(.fatArrow, "`=>` after the match pattern") != nil else {
            while !at(.newline) && !at(.rbrace) && !at(.eof) { _ = advance() }
            return nil
        }
        skipNewlines()
        let value = parseExpr()
        if tooDeep { return nil }
        return MatchArm(patterns: patterns, value: value, span: SourceSpan(start, value.span.end))
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
