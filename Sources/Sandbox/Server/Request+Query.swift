import Foundation
import HTTPServer

extension Request {
    /// Every value given for the query parameter `name`, in order (`a=1&a=2` → `["1", "2"]`; bare keys
    /// are left out).
    ///
    /// Clients generated from OpenAPI specs send array parameters repeated (HubSpot's SDKs send
    /// `properties=email&properties=firstname`), so a parameter that takes a list must read them all,
    /// never just the first (``Request/query(_:)``).
    func queryValues(_ name: String) -> [String] {
        queryItems.compactMap { $0.name == name ? $0.value : nil }
    }

    /// The list a parameter carries, however it was sent: comma lists, repeats, or both
    /// (`properties=a,b&properties=c` → `[a, b, c]`), names trimmed and empty ones dropped; `nil` when
    /// the parameter is absent or names nothing.
    func queryList(_ name: String) -> [String]? {
        let names = queryValues(name).flatMap { $0.split(separator: ",") }.compactMap { part -> String? in
            let trimmed = Self.trimmed(part)
            return trimmed.isEmpty ? nil : trimmed
        }
        return names.isEmpty ? nil : names
    }

    /// `name` without surrounding `CharacterSet.whitespaces`; a name that starts and ends with ASCII other
    /// than space and tab (all of them, in practice) has none and skips Foundation.
    private static func trimmed(_ name: Substring) -> String {
        if let first = name.utf8.first, let last = name.utf8.last, first < 0x80, last < 0x80, first != 0x20, first != 0x09,
            last != 0x20, last != 0x09
        {
            return String(name)
        }
        return name.trimmingCharacters(in: .whitespaces)
    }
}
