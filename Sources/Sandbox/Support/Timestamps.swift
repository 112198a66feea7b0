import Foundation
import MapDSL

/// ISO 8601 formatting and parsing in the shapes the platforms use, through mapc's own calendar code
/// (Foundation's formatters cost far more per call than an emulator serving thousands of records can pay).
enum Timestamps {
    private static func millis(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// `2024-05-01T12:00:00.000Z` (HubSpot, Mailchimp style with milliseconds).
    static func iso(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendISO(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `2024-05-01T12:00:00.000+0000` (Salesforce style).
    static func salesforce(_ date: Date) -> String {
        String(iso(date).dropLast()) + "+0000"
    }

    /// Appends the text of ``iso(_:)`` (no quotes) to `out`, without building a `String`.
    static func appendISO(_ date: Date, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: isoLength) { buffer in
            if write(date, to: buffer.baseAddress!) {
                out.append(contentsOf: UnsafeBufferPointer(buffer))
            } else {
                out.append(contentsOf: Dates.formatDateTime(millis(date)).utf8)
            }
        }
    }

    /// Bytes of ``iso(_:)`` for years 0–9999.
    static let isoLength = 24

    /// Writes the ``isoLength`` bytes of ``iso(_:)`` to `buffer` and returns true, or returns false (writing
    /// nothing) when the year is outside 0–9999, whose text `Dates.formatDateTime` defines.
    static func write(_ date: Date, to buffer: UnsafeMutablePointer<UInt8>) -> Bool {
        let (days, rem) = floorDivMod(millis(date), 86_400_000)
        let (year, month, day) = Dates.civil(Int(days))
        guard year >= 0 && year <= 9999 else { return false }
        let time = Int(rem)
        func put(_ at: Int, _ value: Int, _ width: Int) {
            var rest = value
            for offset in stride(from: width - 1, through: 0, by: -1) {
                buffer[at + offset] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
        }
        put(0, year, 4)
        buffer[4] = UInt8(ascii: "-")
        put(5, month, 2)
        buffer[7] = UInt8(ascii: "-")
        put(8, day, 2)
        buffer[10] = UInt8(ascii: "T")
        put(11, time / 3_600_000, 2)
        buffer[13] = UInt8(ascii: ":")
        put(14, time / 60_000 % 60, 2)
        buffer[16] = UInt8(ascii: ":")
        put(17, time / 1000 % 60, 2)
        buffer[19] = UInt8(ascii: ".")
        put(20, time % 1000, 3)
        buffer[23] = UInt8(ascii: "Z")
        return true
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    /// Parses ISO 8601 date-times with or without fractional seconds, `Z` or `±hh:mm`/`±hhmm`, or a date.
    static func parse(_ text: String) -> Date? {
        guard let ms = Dates.parseISODateTime(Substring(text)) else { return nil }
        return Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}
