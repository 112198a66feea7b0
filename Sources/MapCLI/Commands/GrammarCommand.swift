import MapDSL
import MapGen

/// `mapc grammar --from X --to Y`: prints the GBNF grammar of mappings between two objects.
enum GrammarCommand: Command {
    static let name = "grammar"
    static let summary = "Print the GBNF grammar of mappings between two objects (constrained decoding)"
    static let usage = "--from OBJECT --to OBJECT [--format gbnf] [--schemas DIR]"
    static let discussion = """
        The grammar only admits real field names of the two schemas, the standard-library functions
        with their arities, lookups into the destination platform's objects, and the allowed values
        for literals that flow into picklist fields. Pass it to llama.cpp's server as `grammar`, or to
        vLLM as `structured_outputs: {grammar: ...}`; 'mapc gen --grammar' does that for you.
        """
    static let options = [
        OptionSpec("from", value: "OBJECT", help: "Source object, e.g. hubspot.contact."),
        OptionSpec("to", value: "OBJECT", help: "Destination object, e.g. salesforce.Lead."),
        OptionSpec("format", value: "FORMAT", help: "Output format: gbnf (default)."),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        if let f = args.value("format"), f != "gbnf" {
            throw CLIError.usage("unknown format '\(f)'; use: gbnf")
        }
        guard args.positional.isEmpty else { throw CLIError.usage("'mapc grammar' takes no file arguments") }
        let project = try Project.locate(args, ctx)
        let schemas = project.schemaProvider
        let source = try GenCommand.schema(args.value("from"), role: "source", option: "from", schemas)
        let destination = try GenCommand.schema(args.value("to"), role: "destination", option: "to", schemas)
        let grammar = MappingGrammar.build(
            source: source, destination: destination, lookups: GenCommand.lookupSchemas(destination, schemas, source: source))
        ctx.io.out(grammar.gbnf)
        return .ok
    }
}
