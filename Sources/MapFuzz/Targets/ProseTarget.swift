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
        ].map { Array(("from: fuzz.contact\nto: fuzz.Lead\n\n" + $0).utf8) } + Self.onceHung
    }

    /// The shapes of the inputs the target once hung on (docs/fuzzing.md), kept as seeds so that every run
    /// tries them under the time limit: a run of commas in one sentence (4 KB: 28 s before a sentence's
    /// pieces were bounded), one short sentence repeated to the prose limit (16 s before the number of
    /// sentences read was bounded), a line of quotes (25 s in the CSV cell reader), and one very long word
    /// (over 60 s in the document pass's search for names defined in brackets).
    static var onceHung: [[UInt8]] {
        let header = "from: fuzz.contact\nto: fuzz.Lead\n\n"
        let commas = header + "Amount is amount if above 0 (otherwise 0). Actually no," + String(repeating: "y no,", count: 800) + "\n"
        let opening = header + "Status: \"new\" becomes Open, anything else Working."
        let repeated = opening + String(repeating: " orking.", count: (ProseDocument.maxBytes - opening.utf8.count) / 8)
        // A line of many quotes: the CSV cell reader trimmed the cell so far at each one (25 s for 64 KB).
        let quotes = opening + String(repeating: " ost\"", count: (ProseDocument.maxBytes - opening.utf8.count) / 5)
        // One 60 KB "word" before a bracket: the bracketed-name pattern of the document pass was quadratic in it.
        let word = opening + " " + String(repeating: "one", count: (ProseDocument.maxBytes - opening.utf8.count - 10) / 3) + " (n)"
        return [Array(commas.utf8), Array(repeated.utf8), Array(quotes.utf8), Array(word.utf8)]
    }

    static let generator = OfflineGenerator(schemas: FuzzProject.schemas, clock: { Date(timeIntervalSince1970: 0) })

    func run(_ input: [UInt8]) {
        // `mapc gen` refuses longer prose before reading it.
        guard input.count <= ProseDocument.maxBytes else { return }
        let text = String(decoding: input, as: UTF8.self)
        let prose = ProseDocument.parse(text)
        guard let source = try? FuzzProject.schemas.schema(platform: "fuzz", object: "contact") ?? nil,
            let destination = try? FuzzProject.schemas.schema(platform: "fuzz", object: "Lead") ?? nil
        else { fatalError("the fuzz project has no contact or Lead schema") }
        let result = Self.generator.generate(prose: prose, source: source, destination: destination)
        _ = Checker.check(SourceText(path: "gen.map", text: result.mapping), schemas: FuzzProject.schemas)
    }
}
