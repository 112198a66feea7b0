import CZlib
import Foundation

/// The results archive of a Mailchimp batch operation (`response_body_url`): a gzip-compressed tar
/// of JSON files, each an array of `{status_code, operation_id, response}`. Read with limits: the
/// inflated archive is never longer than ``maxBytes``, a member never longer than its header says
/// and never past the end.
enum BatchArchive {
    /// The most bytes an archive may inflate to (1 GiB).
    static let maxBytes = 1 << 30

    /// Why an archive could not be read.
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// `data` gunzipped (several gzip members are one stream), at most `limit` bytes.
    static func gunzip(_ data: Data, limit: Int = maxBytes) throws(Unreadable) -> [UInt8] {
        guard !data.isEmpty, data.count <= Int(UInt32.max) else { throw Unreadable(description: "empty archive") }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Unreadable(description: "zlib did not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let failure: String? = data.withUnsafeBytes { raw -> String? in
            guard let base = raw.bindMemory(to: Bytef.self).baseAddress else { return "empty archive" }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (status, buffer.count - Int(stream.avail_out))
                }
                guard output.count <= limit - produced else { return "the archive inflates past \(limit) bytes" }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return nil }
                    guard inflateReset(&stream) == Z_OK else { return "bytes after the end of the archive" }
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 { return "the archive is cut short" }
                case Z_BUF_ERROR where produced > 0:
                    continue
                default:
                    return "not gzip data"
                }
            }
        }
        if let failure { throw Unreadable(description: failure) }
        return output
    }

    /// The regular files of a tar archive (ustar or old-style headers) as (name, bytes).
    static func untar(_ bytes: [UInt8]) throws(Unreadable) -> [(name: String, data: [UInt8])] {
        var files: [(String, [UInt8])] = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            func text(_ start: Int, _ length: Int) -> String {
                let field = header[(offset + start)..<(offset + start + length)]
                return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            }
            let sizeText = text(124, 12).trimmingCharacters(in: .whitespaces)
            guard let size = Int(sizeText.isEmpty ? "0" : sizeText, radix: 8), size >= 0 else {
                throw Unreadable(description: "a tar header with a bad size")
            }
            var name = text(0, 100)
            let prefix = text(345, 155)
            if text(257, 5) == "ustar", !prefix.isEmpty { name = prefix + "/" + name }
            let type = header[offset + 156]
            let start = offset + 512
            guard size <= bytes.count - start else { throw Unreadable(description: "a tar member runs past the end") }
            if type == 0 || type == UInt8(ascii: "0") {
                files.append((name, Array(bytes[start..<start + size])))
            }
            offset = start + (size + 511) / 512 * 512
        }
        // A header cut short is an archive cut short (zero blocks after the last member are not).
        if offset < bytes.count, bytes[offset...].contains(where: { $0 != 0 }), bytes.count - offset < 512 {
            throw Unreadable(description: "the archive ends inside a tar header")
        }
        return files
    }
}
