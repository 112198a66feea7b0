import Adapters
import Foundation
import MapDSL
import SyncEngine

/// `mapc schema pull PLATFORM OBJECT [-o FILE]`: writes mapc schema JSON from the platform's describe endpoint.
enum SchemaCommand: Command {
    static let name = "schema"
    static let summary = "Pull an object's schema from a platform's describe endpoint"
    static let usage = "pull PLATFORM OBJECT [-o FILE]"
    static let discussion = """
        Asks the platform (HubSpot properties, Salesforce sObject describe, a local SQLite table or
        JSONL file) for the fields of OBJECT and prints them in mapc's schema format, one field per
        line. The connection comes from MAPC_<PLATFORM>_URL / MAPC_<PLATFORM>_TOKEN or the
        MAPC_CREDENTIALS file (see docs/adapters.md); 'mapc sandbox' prints the variables for the
        local emulators. Mailchimp, Segment and GA4 have no describe endpoint: use the shipped files.
        """
    static let options = [
        OptionSpec("output", short: "o", value: "FILE", help: "Write the schema here (default: standard output)."),
        OptionSpec("rate-limits", value: "DIR", help: "Rate-limit registry folder (default: ./ratelimits when present)."),
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard args.positional.first == "pull" else {
            throw CLIError.usage("unknown or missing subcommand", help: "mapc schema pull hubspot contact -o schemas/hubspot/contact.json")
        }
        guard args.positional.count == 3 else {
            throw CLIError.usage("give a platform and an object", help: "mapc schema pull salesforce Lead")
        }
        let platform = args.positional[1].lowercased()
        let object = args.positional[2]
        var options = AdapterOptions()
        let limitsDirectory = ctx.resolve(args.value("rate-limits") ?? "ratelimits")
        if FileManager.default.fileExists(atPath: "\(limitsDirectory)/\(platform).json") {
            options.rateLimitsDirectory = limitsDirectory
        }
        let schema: Schema
        do {
            let adapter = try AdapterFactory.make(platform: platform, environment: ctx.environment, options: options)
            schema = try adapter.describe(object: object)
        } catch let error as AdapterError {
            switch error {
            case .fatal(let message): throw CLIError.operational("cannot pull \(platform).\(object): \(message)")
            case .transient, .rateLimited, .quotaExhausted:
                throw CLIError.operational("cannot pull \(platform).\(object): \(error)", help: "try again in a moment")
            }
        }
        let text = render(schema)
        if let output = args.value("output") {
            try writeText(text, to: output, ctx)
            ctx.io.err("wrote \(schema.fields.count) fields of \(schema.qualifiedName) to \(output)\n")
        } else {
            ctx.io.out(text)
        }
        return .ok
    }

    /// Schema JSON in the style of the shipped files: one compact field object per line.
    static func render(_ schema: Schema) -> String {
        var text = "{\n"
        text += "  \"platform\": \(JSONWriter.compact(.string(schema.platform))),\n"
        text += "  \"object\": \(JSONWriter.compact(.string(schema.object))),\n"
        if let label = schema.label { text += "  \"label\": \(JSONWriter.compact(.string(label))),\n" }
        text += "  \"fields\": [\n"
        text += schema.fields.map { "    " + JSONWriter.compact($0.json) }.joined(separator: ",\n")
        text += "\n  ]\n}\n"
        return text
    }
}
