import MapDSL
import MapReview

/// `mapc verify [MAPPING...]`: CI check that every mapping is approved, unchanged and still valid.
enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "Check that every mapping is approved, unchanged since approval and still type-checks"
    static let usage = "[MAPPING...] [--format text|json] [--schemas DIR]"
    static let discussion = """
        Checks each mapping (default: every mappings/*.map and samples/mappings/*.map of the project)
        against mappings.lock: it must be approved, its canonical text must match the approved hash, the
        schemas it was approved against must be unchanged (schema drift), and it must still type-check
        against today's schemas, and its own example cases (NAME.tests.jsonl beside NAME.map, as 'mapc
        test' runs them) must pass. Exit status 0 when all pass, 1 naming each failing mapping and why.
        Meant for the CI of the repositories that hold your mappings.
        """
    static let options = [CommonOptions.format([.text, .json]), CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        let project = try Project.locate(args, ctx, near: args.positional.first)
        let lock = try ReviewSupport.lock(project)
        let paths = args.positional.isEmpty ? ReviewSupport.projectMappings(project) : args.positional.map(ctx.resolve)
        guard !paths.isEmpty else {
            throw CLIError.usage("no mappings found in mappings/ or samples/mappings/", help: "name the mapping files to verify")
        }
        let verdicts = paths.map {
            ApprovalGate.verdict(
                mappingPath: $0, lock: lock, schemas: project.schemaProvider, displayPath: ReviewSupport.display($0, ctx),
                runCases: true)
        }
        let failed = verdicts.filter { !$0.isApproved }
        let stale = args.positional.isEmpty ? lock.entries.keys.filter { !paths.map(lock.key(for:)).contains($0) }.sorted() : []
        switch format {
        case .json:
            ctx.io.out(
                JSONWriter.pretty(
                    .object([
                        ("ok", .bool(failed.isEmpty)), ("lock", .string(ReviewSupport.display(lock.path, ctx))),
                        ("mappings", .array(verdicts.map { json($0) })), ("staleEntries", .array(stale.map { .string($0) })),
                    ])))
        default:
            for v in verdicts {
                if v.isApproved, let e = v.entry {
                    ctx.io.out("ok    \(v.key) (approved by \(e.approvedBy) at \(e.approvedAt))\n")
                    continue
                }
                ctx.io.out("FAIL  \(v.key)\n")
                for p in v.problems {
                    ctx.io.out("      \(p.summary)\n")
                    if case .doesNotTypeCheck(let diagnostics) = p, let source = v.source {
                        let rendered = DiagnosticRenderer(colour: ctx.colourOut).render(diagnostics, in: source)
                        for line in rendered.split(separator: "\n", omittingEmptySubsequences: false) {
                            ctx.io.out(line.isEmpty ? "\n" : "        \(line)\n")
                        }
                    }
                    if case .casesFail(let entry) = p {
                        for line in MappingCases.failureLines(entry) { ctx.io.out("        \(line)\n") }
                    }
                }
            }
            for s in stale { ctx.io.err("note: \(MappingsLock.fileName) approves \(s), which no longer exists\n") }
            let n = verdicts.count
            ctx.io.out(
                failed.isEmpty
                    ? "\nok: \(n) mapping\(n == 1 ? "" : "s") approved and unchanged\n"
                    : "\nFAILED: \(failed.count) of \(n) mapping\(n == 1 ? "" : "s") not approved as they stand\n")
        }
        return failed.isEmpty ? .ok : .failure
    }

    static func json(_ v: ApprovalVerdict) -> JSONValue {
        var o: [(String, JSONValue)] = [("mapping", .string(v.key)), ("ok", .bool(v.isApproved))]
        if let e = v.entry {
            o.append(("approvedBy", .string(e.approvedBy)))
            o.append(("approvedAt", .string(e.approvedAt)))
        }
        o.append(
            (
                "problems",
                .array(
                    v.problems.map { p in
                        var po: [(String, JSONValue)] = [("kind", .string(p.kind)), ("message", .string(p.summary))]
                        switch p {
                        case .modified(let d): po.append(("changedFields", .array(d.changedFields.map { .string($0) })))
                        case .schemaDrifted(let object, let role, let approved, let current):
                            po.append(("schema", .string(object)))
                            po.append(("role", .string(role.rawValue)))
                            po.append(("approvedSha256", .string(approved)))
                            po.append(("currentSha256", current.map { .string($0) } ?? .null))
                        case .doesNotTypeCheck(let diagnostics):
                            if let source = v.source {
                                po.append(("diagnostics", .array(diagnostics.map { DiagnosticRenderer.json($0, in: source) })))
                            }
                        case .casesFail(let entry):
                            po.append(("cases", .string(entry.casesFile)))
                            po.append(("failures", .array(MappingCases.failureLines(entry).map { .string($0) })))
                        case .unapproved, .unreadable: break
                        }
                        return .object(po)
                    })
            ))
        return .object(o)
    }
}
