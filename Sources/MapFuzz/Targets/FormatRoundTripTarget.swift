import MapDSL

/// The formatter's promises, on any text that parses: its output parses again without errors, to
/// the same tree (spans and comments aside: compared through the formatted text), and formatting
/// it again changes nothing. A broken promise traps with the texts, which the fuzzer reports.
struct FormatRoundTripTarget: FuzzTarget {
    let name = "dsl-format"

    var seeds: [[UInt8]] { MappingSourceTarget().seeds }

    func run(_ input: [UInt8]) {
        let parsed = Parser.parse(SourceText(path: "fuzz.map", bytes: input))
        guard !parsed.diagnostics.hasErrors else { return }
        let once = Formatter.format(parsed.file)
        let again = Parser.parse(SourceText(path: "formatted.map", text: once))
        if again.diagnostics.hasErrors {
            fatalError(
                "formatted text does not parse: \(again.diagnostics.filter { $0.severity == .error }.map(\.message).prefix(3))\n--- formatted ---\n\(once.prefix(2000))"
            )
        }
        let twice = Formatter.format(again.file)
        if twice != once {
            fatalError("formatting is not idempotent\n--- once ---\n\(once.prefix(2000))\n--- twice ---\n\(twice.prefix(2000))")
        }
    }
}
