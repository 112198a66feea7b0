import Crypto
import MapDSL
import Testing

@testable import Sandbox

@Suite struct SupportTests {
    @Test func md5MatchesKnownVectors() {
        #expect(MD5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(
            MD5.hex("The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(MD5.hex(String(repeating: "a", count: 1000)) == "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }

    @Test func seededRandomIsDeterministic() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        let a = (0..<5).map { _ in first.next() }
        let b = (0..<5).map { _ in second.next() }
        #expect(a == b)
        var unit = SeededRandom(seed: 7)
        for _ in 0..<100 {
            let value = unit.nextUnit()
            #expect(value >= 0 && value < 1)
        }
    }
}

/// The sandbox's MD5 (verified against RFC 1321 vectors above), for computing subscriber hashes in tests.
func md5Hex(_ text: String) -> String {
    MD5.hex(text)
}
