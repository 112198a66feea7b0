import Foundation
import MapDSL
import MapGen

/// Prose descriptions, as `mapc gen --offline` reads them: the front matter, the sentence splitter, the
/// tokenizer and every clause reader of the offline generator, from contacts to leads of the fuzz
/// project. The generated mapping is checked again, as `gen` does before it writes anything.
struct ProseTarget: FuzzTarget {
    let name = "gen-prose"

    var seeds: [[UInt8]] {
        [
            """
            Key is id. Email = email, trimmed and lowercased. Name is first and last joined with a space.
            Status: "new" becomes Open, "won" → Closed, anything else Working. Skip contacts without an email,
            and never send anyone whose stage is "lost" or who has fewer than 3 n.
            """,
            """
            - first, last → Name / Text
            - Count comes from n; fall back to m if there's no n.
            Flag is true when stage is customer, false for everyone else. Tags: crm-import, for every contact.
            Day is born written the European way as DD/MM/YYYY. Site: "https://" + company, unless company is blank.
            """,
            """
            | Source field | Target field |
            |---|---|
            | email | Email |
            | amount | Amount |
            Amount is amount if above 0 (otherwise 0). Actually no, make it 5 for everyone. e.g. "x" -> "y"; 1–4 → 1-5.
            Contacts created before 1 Jan 2023 must not be synced; only customers get an event, except @example.com ones.
            """,
        ].map { Array(("from: fuzz.contact\nto: fuzz.Lead\n\n" + $0).utf8) }
    }

    static let generator = OfflineGenerator(schemas: FuzzProject.schemas, clock: { Date(timeIntervalSince1970: 0) })

    func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let prose = ProseDocument.parse(text)
        guard let source = try? FuzzProject.schemas.schema(platform: "fuzz", object: "contact") ?? nil,
            let destination = try? FuzzProject.schemas.schema(platform: "fuzz", object: "Lead") ?? nil
        else { fatalError("the fuzz project has no contact or Lead schema") }
        let result = Self.generator.generate(prose: prose, source: source, destination: destination)
        _ = Checker.check(SourceText(path: "gen.map", text: result.mapping), schemas: FuzzProject.schemas)
    }
}
