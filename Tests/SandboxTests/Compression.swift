import CZlib
import Foundation

/// Test-side compression with zlib: the sandbox only ever inflates, so the bodies it must inflate are
/// made here.
enum Compression {
    /// How the deflate stream is wrapped.
    enum Framing {
        /// RFC 1952, what `Content-Encoding: gzip` carries.
        case gzip
        /// RFC 1950, what `Content-Encoding: deflate` means in HTTP.
        case zlib
        /// A bare RFC 1951 stream, as some clients send for `deflate`.
        case raw

        var windowBits: Int32 {
            switch self {
            case .gzip: 15 + 16
            case .zlib: 15
            case .raw: -15
            }
        }
    }

    /// `data` compressed with `framing`.
    static func deflate(_ data: Data, framing: Framing = .gzip) -> Data {
        deflate(framing: framing) { feed in feed(data, true) }
    }

    /// `count` zero bytes, gzip-compressed a mebibyte at a time (the zeros never sit in memory whole).
    static func gzippedZeros(count: Int) -> Data {
        let piece = Data(count: 1 << 20)
        return deflate(framing: .gzip) { feed in
            var left = count
            while left > 0 {
                let size = min(left, piece.count)
                left -= size
                feed(piece.prefix(size), left == 0)
            }
        }
    }

    /// Runs zlib's deflate over the pieces `produce` feeds (the flag marks the last piece).
    private static func deflate(framing: Framing, _ produce: ((Data, Bool) -> Void) -> Void) -> Data {
        var stream = z_stream()
        let started = deflateInit2_(
            &stream, 9, Z_DEFLATED, framing.windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK, "deflateInit2 failed: \(started)")
        defer { deflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        produce { piece, last in
            var input = [UInt8](piece)
            input.withUnsafeMutableBufferPointer { bytes in
                stream.next_in = bytes.baseAddress
                stream.avail_in = uInt(bytes.count)
                repeat {
                    chunk.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        _ = CZlib.deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
                        output.append(out.baseAddress!, count: out.count - Int(stream.avail_out))
                    }
                } while stream.avail_out == 0 || (last && stream.avail_in > 0)
            }
        }
        return output
    }
}
