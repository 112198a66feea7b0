import CZlib
import Foundation

/// Decompresses `gzip` and `deflate` request bodies with zlib, never producing more than a given
/// number of bytes (a small body that inflates to gigabytes is stopped at the bound, not held).
///
/// Foundation on Linux has no decompression, hence zlib itself (Debian `zlib1g-dev`).
enum Inflater {
    /// The content codings the inflater reads.
    enum Format: Sendable, Equatable {
        /// RFC 1952 gzip; several concatenated members are one body, as `gunzip` reads them.
        case gzip
        /// HTTP's `deflate`: the zlib format (RFC 1950), or raw deflate (RFC 1951) as some clients send it.
        case deflate
    }

    /// Why a body could not be inflated.
    enum Failure: Error, Sendable, Equatable {
        /// Not valid compressed data: bad header, checksum, truncated stream or trailing bytes.
        case corrupt
        /// The decompressed body would exceed the limit.
        case tooLarge
    }

    /// Output is produced in pieces of this size, so at most this much is written past the limit
    /// before inflating stops.
    private static let chunkSize = 64 * 1024

    /// `input` decompressed, or why not; the result is never longer than `limit` bytes.
    static func inflate(_ input: Data, format: Format, limit: Int) -> Result<Data, Failure> {
        switch format {
        case .gzip:
            return run(input, windowBits: 15 + 16, limit: limit)
        case .deflate:
            let wrapped = run(input, windowBits: 15, limit: limit)
            if case .failure(.corrupt) = wrapped {
                return run(input, windowBits: -15, limit: limit)
            }
            return wrapped
        }
    }

    /// One pass of zlib's `inflate` over `input`; `windowBits` chooses the framing (zlib's convention).
    private static func run(_ input: Data, windowBits: Int32, limit: Int) -> Result<Data, Failure> {
        guard !input.isEmpty, input.count <= Int(UInt32.max) else { return .failure(.corrupt) }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return .failure(.corrupt)
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        return input.withUnsafeBytes { raw -> Result<Data, Failure> in
            guard let base = raw.bindMemory(to: Bytef.self).baseAddress else { return .failure(.corrupt) }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (status, buffer.count - Int(stream.avail_out))
                }
                guard output.count <= limit - produced else { return .failure(.tooLarge) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    guard stream.avail_in > 0 else { return .success(Data(output)) }
                    // Another gzip member may follow; anything else after the end is not part of a body.
                    guard windowBits > 15, stream.avail_in >= 2, stream.next_in[0] == 0x1f, stream.next_in[1] == 0x8b,
                        inflateReset(&stream) == Z_OK
                    else { return .failure(.corrupt) }
                case Z_OK:
                    // No input left and no output made: the stream stops before its end.
                    if stream.avail_in == 0 && produced == 0 { return .failure(.corrupt) }
                case Z_BUF_ERROR where produced > 0:
                    continue
                default:
                    return .failure(.corrupt)
                }
            }
        }
    }
}
