import Foundation
import Testing

@testable import Sandbox

@Suite struct InflaterTests {
    private let text = Data(String(repeating: "{\"type\":\"track\",\"event\":\"Signed Up\"}\n", count: 200).utf8)

    @Test(arguments: [Compression.Framing.gzip, .zlib, .raw])
    func inflatesEveryFramingOfItsCoding(_ framing: Compression.Framing) {
        let format: Inflater.Format = framing == .gzip ? .gzip : .deflate
        let compressed = Compression.deflate(text, framing: framing)
        #expect(compressed.count < text.count)
        #expect(Inflater.inflate(compressed, format: format, limit: 1 << 20) == .success(text))
    }

    @Test func readsConcatenatedGzipMembersAsOneBody() {
        let first = Data("{\"batch\":".utf8)
        let second = Data("[]}".utf8)
        let joined = Compression.deflate(first) + Compression.deflate(second)
        #expect(Inflater.inflate(joined, format: .gzip, limit: 1024) == .success(first + second))
    }

    @Test func refusesTruncatedCorruptAndTrailingBytes() {
        let compressed = Compression.deflate(text)
        #expect(Inflater.inflate(compressed.prefix(compressed.count - 9), format: .gzip, limit: 1 << 20) == .failure(.corrupt))
        #expect(Inflater.inflate(Data("not gzip at all".utf8), format: .gzip, limit: 1 << 20) == .failure(.corrupt))
        #expect(Inflater.inflate(Data(), format: .gzip, limit: 1 << 20) == .failure(.corrupt))
        #expect(Inflater.inflate(compressed + Data("junk".utf8), format: .gzip, limit: 1 << 20) == .failure(.corrupt))
        var flipped = compressed
        flipped[flipped.count - 6] ^= 0xff  // inside the CRC-32 of the trailer
        #expect(Inflater.inflate(flipped, format: .gzip, limit: 1 << 20) == .failure(.corrupt))
    }

    @Test func stopsAtTheLimitInsteadOfInflatingABomb() {
        let bomb = Compression.gzippedZeros(count: 64 << 20)
        #expect(bomb.count < 128 << 10)
        #expect(Inflater.inflate(bomb, format: .gzip, limit: 1 << 20) == .failure(.tooLarge))
        #expect(Inflater.inflate(Compression.deflate(text), format: .gzip, limit: text.count) == .success(text))
        #expect(Inflater.inflate(Compression.deflate(text), format: .gzip, limit: text.count - 1) == .failure(.tooLarge))
    }
}
