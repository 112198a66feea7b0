import Foundation
import Testing

@testable import Webhooks

@Suite struct DigestTests {
    @Test func hmacMatchesRFC4231AndRFC2202Vectors() {
        // RFC 4231 test case 2 and RFC 2202 test case 2.
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        #expect(
            Digest.hex(Digest.hmacSHA256(key: key, message: message))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Digest.hex(Digest.hmacSHA1(key: key, message: message)) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test func md5IsMailchimpsSubscriberHash() {
        #expect(Digest.hex(Digest.md5(Array("".utf8))) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func constantTimeEqualsComparesLengthAndBytes() {
        #expect(Digest.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEquals([1, 2], [1, 2, 3]))
        #expect(Digest.constantTimeEquals([], []))
    }

    @Test func secretsNeverPrintThemselves() {
        let secret = WebhookSecret("planted-secret-value")
        #expect("\(secret)" == "‹redacted›")
        #expect(!String(reflecting: secret).contains("planted"))
    }
}
