import Foundation
import MapDSL
import SyncEngine

extension JSONLAdapter {
    /// How many records the file of `object` holds: ``count(object:modifiedSince:)`` of a read of
    /// every record.
    public func count(object: String) throws(AdapterError) -> Int? {
        try count(object: object, modifiedSince: nil)
    }

    /// How many records a read would return: the lines that are not blank, counted in one pass over
    /// the bytes (no line is parsed). An incremental read (`modifiedSince` with a `modified_field`)
    /// keeps only some lines, which only parsing tells: no count then. A missing file holds none.
    public func count(object: String, modifiedSince: String?) throws(AdapterError) -> Int? {
        if modifiedSince != nil, modifiedField != nil { return nil }
        let file = try path(object)
        guard FileManager.default.fileExists(atPath: file) else { return 0 }
        guard let handle = FileHandle(forReadingAtPath: file) else { throw .fatal("cannot read \(file)") }
        defer { try? handle.close() }
        var lines = 0
        // Whether the line under way has a byte other than blanks (space, tab, CR).
        var content = false
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw .fatal("cannot read \(file): \(error)")
            }
            if chunk.isEmpty { break }
            for byte in chunk {
                switch byte {
                case 0x0A:
                    if content { lines += 1 }
                    content = false
                case 0x20, 0x09, 0x0D: break
                default: content = true
                }
            }
        }
        return content ? lines + 1 : lines
    }
}
