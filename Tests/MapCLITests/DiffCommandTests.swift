import Foundation
import MapDSL
import Testing

@Suite struct DiffCommandTests {
    @Test func semanticAndBehaviouralDiffInMarkdown() throws {
        let p = try ReviewTestProject()
        try p.write("new.map", try p.read(leads))
        try p.replaceLine(in: "new.map", startingWith: "Title", with: "Title = upper(trim(jobtitle))")
        let r = p.run(["diff", leads, "new.map", "--format", "markdown"])
        #expect(r.code == 1, "\(r.err)")
        #expect(r.out.contains("| field changed | `Title` | `truncate(trim(jobtitle), 128)` | `upper(trim(jobtitle))` |"))
        #expect(r.out.contains("#### Behaviour over `samples/hubspot/contact.jsonl`"))
        #expect(r.out.contains("| `Title` |"))
        #expect(r.out.contains("`\"Office Manager\"` → `\"OFFICE MANAGER\"`"))
    }

    @Test func formattingOnlyIsNoDiff() throws {
        let p = try ReviewTestProject()
        try p.write("same.map", try p.read(leads).replacingOccurrences(of: " = ", with: "=   "))
        let r = p.run(["diff", leads, "same.map"])
        #expect(r.code == 0, "\(r.out)\(r.err)")
        #expect(r.out.contains("no semantic changes"))
        #expect(r.out.contains("0 of"))
    }

    @Test func jsonAndUsage() throws {
        let p = try ReviewTestProject()
        try p.write("new.map", try p.read(leads))
        try p.replaceLine(in: "new.map", startingWith: "key ", with: "key Email")
        let json = try JSONParser.parse(p.run(["diff", leads, "new.map", "--format", "json"]).out)
        #expect(json["semantic"]?["key"]?["new"] == "Email")
        #expect(p.run(["diff", leads]).code == 2)
    }
}
