import Foundation

/// Reads seed records from `samples/<platform>/<object>.jsonl`: one flat JSON object per line.
enum SampleLoader {
    /// Rows per object name (the file name without `.jsonl`); a missing directory yields nothing.
    ///
    /// Blank lines and lines starting with `//` are skipped; a line that is not a JSON object throws.
    static func load(platform: String, from directory: URL?) throws -> [String: [[String: JSONValue]]] {
        guard let directory else { return [:] }
        let folder = directory.appendingPathComponent(platform, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        var result: [String: [[String: JSONValue]]] = [:]
        for name in names.sorted() where name.hasSuffix(".jsonl") {
            let url = folder.appendingPathComponent(name)
            let text = try String(contentsOf: url, encoding: .utf8)
            var rows: [[String: JSONValue]] = []
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed =
                    line.utf8.first == 0x20 || line.utf8.last == 0x20 || line.utf8.last == 0x0D
                    ? Substring(line.trimmingCharacters(in: .whitespacesAndNewlines)) : line
                if trimmed.isEmpty || trimmed.hasPrefix("//") { continue }
                guard let row = JSONValue.parse(Data(trimmed.utf8))?.objectValue else {
                    throw SandboxError(description: "\(url.path):\(number + 1): not a JSON object")
                }
                rows.append(row)
            }
            result[String(name.dropLast(".jsonl".count))] = rows
        }
        return result
    }
}
