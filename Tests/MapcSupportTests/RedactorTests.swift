import Foundation
import MapcSupport
import Testing

/// The one redactor every target uses: a secret never survives in any encoding it travels in.
@Suite struct RedactorTests {
    /// A GA4-style api secret with the characters URLs and JSON encode: `/`, `+`, `=`.
    static let secret = "Ab3/xY+9z=Qw7/Kp"

    /// Every encoding of `secret` a platform reply may carry.
    static func encodings(of secret: String) -> [(String, String)] {
        let utf8 = Array(secret.utf8)
        func percent(_ upper: Bool) -> String {
            utf8.map { b -> String in
                let isUnreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                return isUnreserved ? String(UnicodeScalar(b)) : String(format: upper ? "%%%02X" : "%%%02x", b)
            }.joined()
        }
        func unicodeEscaped(_ upper: Bool) -> String {
            secret.unicodeScalars.map { String(format: upper ? "\\u%04X" : "\\u%04x", $0.value) }.joined()
        }
        return [
            ("raw", secret),
            ("JSON slash escape", secret.replacingOccurrences(of: "/", with: "\\/")),
            ("JSON \\u escapes, lower hex", unicodeEscaped(false)),
            ("JSON \\u escapes, upper hex", unicodeEscaped(true)),
            ("only / as \\u002f", secret.replacingOccurrences(of: "/", with: "\\u002f")),
            ("percent-encoded, upper hex", percent(true)),
            ("percent-encoded, lower hex", percent(false)),
            ("every byte percent-encoded", utf8.map { String(format: "%%%02x", $0) }.joined()),
            ("percent-encoded inside JSON", percent(true).replacingOccurrences(of: "/", with: "\\/")),
            ("base64", Data(utf8).base64EncodedString()),
            ("Basic user:secret", Data(("anystring:" + secret).utf8).base64EncodedString()),
            ("Basic secret:", Data((secret + ":").utf8).base64EncodedString()),
            ("Basic x:secret", Data(("x:" + secret).utf8).base64EncodedString()),
            (
                "base64url",
                Data(("ab:" + secret).utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                    of: "/", with: "_")
            ),
            ("base64, JSON-escaped", Data(("u:" + secret).utf8).base64EncodedString().replacingOccurrences(of: "/", with: "\\/")),
        ]
    }

    /// Whether `text` still carries `secret` in one of the encodings above (decoding base64 runs).
    static func leaks(_ text: String, _ secret: String) -> Bool {
        for (_, form) in encodings(of: secret) where text.contains(form) { return true }
        return false
    }

    @Test(arguments: encodings(of: secret).map(\.0))
    func aSecretIsRedactedInEveryEncodingItTravelsIn(name: String) throws {
        let form = try #require(Self.encodings(of: Self.secret).first { $0.0 == name }?.1)
        let redactor = Redactor(secrets: [Self.secret])
        let text = #"{"message": "invalid api_secret \#(form) for stream", "status": 401}"#
        let out = redactor.redact(text)
        #expect(!out.contains(form), "\(name): \(out)")
        #expect(out.contains("‹redacted›"), "\(name): \(out)")
        #expect(out.hasPrefix(#"{"message": "invalid api_secret "#) && out.hasSuffix(#" for stream", "status": 401}"#), "\(out)")
        // Bytes and Data give the same answer.
        #expect(String(decoding: redactor.redact(Data(text.utf8)), as: UTF8.self) == out)
    }

    @Test func aBasicHeaderIsReplacedWholeNotLeftWithFragments() {
        let header = "Authorization: Basic " + Data(("anystring:" + Self.secret).utf8).base64EncodedString()
        #expect(Redactor(secrets: [Self.secret]).redact(header) == "Authorization: Basic ‹redacted›")
    }

    @Test func textWithoutTheSecretIsLeftAlone() {
        let redactor = Redactor(secrets: [Self.secret, "pat-na1-0123"])
        for text in ["", "plain", "100% \\u0041 \\/ %2F", #"{"a":"Ab3/xY+9z=Qw7/K"}"#, "Ab3%2FxY%2B9z%3DQw7"] {
            #expect(redactor.redact(text) == text)
            #expect(redactor.redact(Data(text.utf8)) == Data(text.utf8))
        }
    }

    @Test func shortSecretsAreIgnoredAndNonASCIISecretsAreFoundEscaped() {
        #expect(Redactor(secrets: ["abc", ""]).isEmpty)
        let redactor = Redactor(secrets: ["clé-🔑-secrète"], replacement: "<redacted>")
        #expect(redactor.redact(#"key "cl\u00e9-\ud83d\udd11-secr\u00e8te""#) == #"key "<redacted>""#)
        #expect(redactor.redact("key=cl%C3%A9-%F0%9F%94%91-secr%C3%A8te&x=1") == "key=<redacted>&x=1")
    }

    @Test func secretsMadeOfEscapeCharactersCostNoBacktracking() {
        let secret = String(repeating: "%", count: 64)
        let text = String(repeating: "%25", count: 20_000)
        let out = Redactor(secrets: [secret]).redact(text)
        #expect(
            !out.contains(
                "%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25%25"
            ))
    }

    /// The scrubber skips a start whose next byte cannot begin the secret's second character (how
    /// a long reply of secret-like bytes stays cheap, found by `reply-segment`): that check must
    /// never skip a real match, in any encoding, however many false starts come before it.
    @Test(arguments: encodings(of: secret).map(\.0))
    func aSecretAfterALongRunOfFalseStartsIsStillFound(_ name: String) throws {
        let form = try #require(Self.encodings(of: Self.secret).first { $0.0 == name }?.1)
        let redactor = Redactor(secrets: [Self.secret])
        for filler in ["A", "Ab", "%", "\\", "+", "Ab3%", "QWIz"] {
            let text = String(repeating: filler, count: 5_000) + form + String(repeating: filler, count: 5_000)
            let out = redactor.redact(text)
            #expect(!Self.leaks(out, Self.secret), "\(name) after \(filler)")
            #expect(out.contains(redactor.replacement), "\(name) after \(filler)")
        }
    }
}
