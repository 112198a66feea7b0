import Foundation
import TestSupport
import Testing

@testable import MapDSL

/// The fast output checks of a run (``FieldChecks``, the byte versions of ``Formats``) against
/// ``OutputValidator``: a fast pass must be a pass of the validator, and the fast checks must pass
/// the ordinary values (or they would not be fast).
@Suite struct FieldChecksTests {
    static let fields =
        [
            Field(name: "plain", type: .string),
            Field(name: "required", type: .string, nullable: false, required: true),
            Field(name: "short", type: .string, maxLength: 3),
            Field(name: "email", type: .string, maxLength: 20, format: .email),
            Field(name: "phone", type: .string, format: .phone),
            Field(name: "url", type: .string, format: .url),
            Field(name: "pick", type: .picklist, required: true, values: ["a", "Zoë", "e\u{301}", ""]),
            Field(name: "multi", type: .multipicklist, values: ["a", "b"]),
            Field(name: "count", type: .int, nullable: false), Field(name: "amount", type: .decimal),
            Field(name: "flag", type: .bool), Field(name: "day", type: .date), Field(name: "at", type: .datetime),
            Field(name: "id", type: .id),
        ] + ruled

    /// Fields with platform rules: Salesforce's e-mail check, a phone of any text, UTF-16 units, a
    /// unit the platform does not document, a picklist that only warns.
    static let ruled: [Field] = {
        func with(_ f: Field, _ rules: FieldRules) -> Field {
            var f = f
            f.rules = rules
            return f
        }
        let utf16 = LengthRule(unit: .utf16, documented: true)
        return [
            with(
                Field(name: "sfEmail", type: .string, maxLength: 20, format: .email),
                FieldRules(length: utf16, value: ValueRule(check: .emailSalesforce, severity: .reject))),
            with(
                Field(name: "sfPhone", type: .string, maxLength: 5, format: .phone),
                FieldRules(length: utf16, value: ValueRule(check: .none, severity: .reject))),
            with(
                Field(name: "bytes", type: .string, maxLength: 4),
                FieldRules(length: LengthRule(unit: .utf8, documented: false))),
            with(
                Field(name: "ga4", type: .string, maxLength: 10),
                FieldRules(length: utf16, value: ValueRule(check: .ga4Name, severity: .reject))),
            with(
                Field(name: "openPick", type: .picklist, values: ["a", "b"]),
                FieldRules(length: utf16, picklist: .warn)),
        ]
    }()

    static let texts = [
        "", " ", "\t\n", "\u{A0}", "\u{2003}x", "\u{85}", "a", "b", "a;b", "a;;b", "Zoë", "Zo\u{EB}", "Zoe\u{308}", "é", "e\u{301}",
        "abc", "abcd", "äbc", "äbcd", "ann@x.io", "ANN@X.IO", "a@b", "a@b.c", "a@b.cd", ".a@b.cd", "a.@b.cd", "a@.b.cd", "a@b..cd",
        "a@b.cd.", "a@@b.cd", "a b@c.de", "a,b@c.de", "a<b@c.de", "a\u{7F}@c.de", "é@x.io", "someone.long.name@example.com",
        "+1 555 0100 200", "(555) 010-2030", "555-0100", "12345678901234567890", "123456789012345678901", "555 0100 x12",
        "+49 (0)341 1234-56", "５５５ ０１００ ２００", "http://x.io", "https://www.x.io/a", "x.io", "no url", ".x.io", "x.io.",
        "ann.lee.@x.io", "a..b@x.jp", "x@my_domain.com", "o'b@x.ie", "\"q\"@x.io", "a@b-.io", "a@1.23", "ünï@x.io", "1-800-FLOWERS",
        "call 5pm", "AAAA\u{1F642}", "AAA\u{1F642}", "é\u{1F642}", "sign_up", "sign-up", "ga_x", "9lives",
    ]

    @Test func fastPassesAreValidatorPasses() {
        let checks = FieldChecks(fields: Self.fields)
        var fastPasses = 0
        for (i, field) in Self.fields.enumerated() {
            let others: [Value] = [.null, .int(3), .decimal(2.5), .bool(true), .date(19000), .datetime(1_700_000_000_000)]
            for v in others {
                let valid = OutputValidator.validate([v], fields: [field]).isEmpty
                #expect(checks.tables.otherPasses(i, v) == valid, Comment(rawValue: "\(field.name) \(v)"))
            }
            for t in Self.texts {
                let valid = OutputValidator.validate([.string(t)], fields: [field]).isEmpty
                var copy = t
                let fast = copy.withUTF8 { checks.tables.textPasses(i, $0) }
                if fast {
                    fastPasses += 1
                    #expect(valid, Comment(rawValue: "fast pass of \(t.debugDescription) in \(field.name) that the validator rejects"))
                }
            }
        }
        #expect(fastPasses > Self.texts.count * 2)
    }

    @Test func ordinaryValuesPassFast() {
        let checks = FieldChecks(fields: Self.fields)
        for (name, text) in [
            ("plain", "Zoë"), ("required", "x"), ("short", "abc"), ("email", "ann@x.io"), ("phone", "(555) 010-2030"), ("pick", "Zoë"),
        ] {
            let i = Self.fields.firstIndex { $0.name == name }!
            var copy = text
            #expect(copy.withUTF8 { checks.tables.textPasses(i, $0) }, "\(name) \(text)")
        }
    }

    @Test func bytePhoneCheckIsTheStringCheck() {
        var candidates = Self.texts
        let alphabet: [String] = ["a", "B", "1", ".", "@", "-", "+", " ", "(", ")", "/", "x", ",", ";", "<", "é", "\u{7F}", "\t"]
        var r: UInt64 = 42
        func next() -> Int {
            r = r &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(r >> 33)
        }
        for _ in 0..<20000 {
            var s = ""
            for _ in 0..<(next() % 16) { s += alphabet[next() % alphabet.count] }
            candidates.append(s)
        }
        for s in candidates where !s.isEmpty {
            var copy = s
            copy.withUTF8 { u in
                #expect(Formats.isPhone(u.baseAddress!, u.count) == Formats.isPhone(s), "phone \(s.debugDescription)")
            }
        }
    }
}
