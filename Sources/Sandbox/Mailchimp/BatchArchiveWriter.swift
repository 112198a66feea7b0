import CZlib
import Foundation

/// Writes the results archive of a Mailchimp batch: a ustar tar of the given files, gzip-compressed.
public enum BatchArchiveWriter {
    /// A tar archive (ustar headers, files padded to 512 bytes, two zero blocks at the end).
    public static func tar(_ files: [(name: String, data: [UInt8])], mtime: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        for (name, data) in files {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int, length: Int) {
                for (i, b) in text.utf8.prefix(length).enumerated() { header[offset + i] = b }
            }
            func octal(_ value: Int, width: Int) -> String {
                let digits = String(value, radix: 8)
                return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            }
            put(name, at: 0, length: 100)
            put(octal(0o644, width: 8), at: 100, length: 8)
            put(octal(0, width: 8), at: 108, length: 8)
            put(octal(0, width: 8), at: 116, length: 8)
            put(octal(data.count, width: 12), at: 124, length: 12)
            put(octal(mtime, width: 12), at: 136, length: 12)
            put("        ", at: 148, length: 8)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, length: 6)
            put("00", at: 263, length: 2)
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octal(sum, width: 7), at: 148, length: 7)
            header[155] = UInt8(ascii: " ")
            out += header
            out += data
            out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }

    /// `data` gunzipped, or nil when it is not gzip or would inflate past `limit` bytes (for tools
    /// that keep an archive's tar rather than its compressed bytes, such as the fuzzer's seeds).
    public static func gunzip(_ data: Data, limit: Int = 64 * 1024 * 1024) -> [UInt8]? {
        guard data.starts(with: [0x1F, 0x8B]), case .success(let tar) = Inflater.inflate(data, format: .gzip, limit: limit) else {
            return nil
        }
        return Array(tar)
    }

    /// `bytes` as one gzip member.
    public static func gzip(_ bytes: [UInt8]) -> Data {
        var stream = z_stream()
        guard
            deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
                == Z_OK
        else { return Data() }
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
        let written = input.withUnsafeMutableBufferPointer { inBuffer -> Int in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                guard CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END else { return 0 }
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Data(output[0..<written])
    }
}
