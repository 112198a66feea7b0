/// Calendar arithmetic and ISO 8601 / pattern parsing and formatting, without Foundation's slow formatters.
///
/// All dates are proleptic Gregorian, all times UTC.
public enum Dates {
    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    ///
    /// Meant for real calendar dates (see ``isValid(year:month:day:)``); other input gives a
    /// meaningless number, never a trap.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year &- 1 : year
        let era = (y >= 0 ? y : y &- 399) / 400
        let yoe = y &- era &* 400
        let mp = (month &+ 9) % 12
        let doy = (153 &* mp &+ 2) / 5 &+ day &- 1
        let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
        return era &* 146097 &+ doe &- 719468
    }

    /// The first day mapc represents: 0001-01-01, as days since 1970-01-01.
    public static let minDay = -719_162
    /// The last day mapc represents: 9999-12-31, as days since 1970-01-01.
    public static let maxDay = 2_932_896
    /// The first instant mapc represents: 0001-01-01T00:00:00.000Z, in milliseconds since the epoch.
    public static let minMillis = Int64(minDay) * 86_400_000
    /// The last instant mapc represents: 9999-12-31T23:59:59.999Z, in milliseconds since the epoch.
    public static let maxMillis = Int64(maxDay + 1) * 86_400_000 - 1

    /// Whether a day number is inside 0001-01-01 … 9999-12-31.
    @inline(__always) public static func inRange(day d: Int) -> Bool { d >= minDay && d <= maxDay }

    /// Whether an instant is inside 0001-01-01T00:00:00.000Z … 9999-12-31T23:59:59.999Z.
    @inline(__always) public static func inRange(millis t: Int64) -> Bool { t >= minMillis && t <= maxMillis }

    /// The instant a day starts (midnight UTC), for a day inside the range; saturated outside it.
    @inline(__always) public static func millis(ofDay d: Int) -> Int64 {
        let (m, overflow) = Int64(d).multipliedReportingOverflow(by: 86_400_000)
        return overflow ? (d < 0 ? Int64.min : Int64.max) : m
    }

    /// The day `t` falls on (UTC).
    @inline(__always) public static func day(ofMillis t: Int64) -> Int { Int(floorDivMod(t, 86_400_000).0) }

    /// The error for a date that leaves the range, naming what was computed.
    static func outOfRange(_ what: String) -> EvalError {
        EvalError(.dateOutOfRange, "\(what) falls outside the dates mapc represents (0001-01-01 to 9999-12-31)")
    }

    /// `d` moved by `n` days, or why it cannot be.
    public static func addDays(_ d: Int, _ n: Int) throws(EvalError) -> Int {
        let (r, overflow) = d.addingReportingOverflow(n)
        guard !overflow, inRange(day: r) else { throw outOfRange("\(formatDate(d)) plus \(n) days") }
        return r
    }

    /// `t` moved by `n` whole days, or why it cannot be.
    public static func addDays(millis t: Int64, _ n: Int) throws(EvalError) -> Int64 {
        let (shift, o1) = Int64(n).multipliedReportingOverflow(by: 86_400_000)
        let (r, o2) = t.addingReportingOverflow(shift)
        guard !o1, !o2, inRange(millis: r) else { throw outOfRange("\(formatDateTime(t)) plus \(n) days") }
        return r
    }

    /// The civil date of a day count (any day count: the far ends give meaningless dates, never a trap).
    public static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days &+ 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe &+ era &* 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y &+ 1 : y, m, d)
    }

    /// Whether year/month/day is a real calendar date.
    public static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard month >= 1 && month <= 12 && day >= 1 && year >= 1 && year <= 9999 else { return false }
        return day <= daysInMonth(year: year, month: month)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `YYYY-MM-DD`.
    public static func formatDate(_ days: Int) -> String {
        let (y, m, d) = civil(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ`.
    public static func formatDateTime(_ millis: Int64) -> String {
        let (days, rem) = floorDivMod(millis, 86_400_000)
        let ms = Int(rem)
        return formatDate(Int(days)) + "T" + pad(ms / 3_600_000, 2) + ":" + pad(ms / 60_000 % 60, 2) + ":"
            + pad(ms / 1000 % 60, 2) + "." + pad(ms % 1000, 3) + "Z"
    }

    static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n.magnitude)
        let padded = s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        return n < 0 ? "-" + padded : padded
    }

    /// Parses an ISO 8601 date (`2024-03-05`), or the date part of an ISO date-time.
    public static func parseISODate(_ s: Substring) -> Int? {
        let u = Array(s.utf8)
        guard u.count >= 10, let y = digits(u, 0, 4), u[4] == 0x2D, let m = digits(u, 5, 2), u[7] == 0x2D,
            let d = digits(u, 8, 2), isValid(year: y, month: m, day: d)
        else { return nil }
        if u.count > 10 {
            guard u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "), parseISODateTime(s) != nil else { return nil }
        }
        return days(year: y, month: m, day: d)
    }

    /// Parses an ISO 8601 date-time: `2024-03-05T10:22:11.123Z`, with optional seconds, fraction and
    /// offset (`Z`, `+02:00`, `+0200`); a bare date means midnight UTC; a space may replace `T`.
    public static func parseISODateTime(_ s: Substring) -> Int64? {
        let u = Array(s.utf8)
        guard u.count >= 10, let y = digits(u, 0, 4), u[4] == 0x2D, let m = digits(u, 5, 2), u[7] == 0x2D,
            let d = digits(u, 8, 2), isValid(year: y, month: m, day: d)
        else { return nil }
        var millis = Int64(days(year: y, month: m, day: d)) * 86_400_000
        if u.count == 10 { return millis }
        guard u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "), u.count >= 16, let hh = digits(u, 11, 2),
            u[13] == 0x3A, let mi = digits(u, 14, 2), hh < 24, mi < 60
        else { return nil }
        var i = 16
        var ss = 0
        var frac = 0
        if i < u.count, u[i] == 0x3A {
            guard let sec = digits(u, i + 1, 2), sec < 61 else { return nil }
            ss = min(sec, 59)
            i += 3
            if i < u.count, u[i] == UInt8(ascii: ".") || u[i] == UInt8(ascii: ",") {
                i += 1
                var scale = 100
                var any = false
                while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                    frac += Int(u[i] - 0x30) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                guard any else { return nil }
            }
        }
        millis += Int64(hh * 3_600_000 + mi * 60_000 + ss * 1000 + frac)
        if i == u.count { return millis }
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") { return i + 1 == u.count ? millis : nil }
        guard u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") else { return nil }
        let sign: Int64 = u[i] == UInt8(ascii: "+") ? 1 : -1
        guard let oh = digits(u, i + 1, 2) else { return nil }
        var j = i + 3
        var om = 0
        if j < u.count {
            if u[j] == 0x3A { j += 1 }
            guard let v = digits(u, j, 2) else { return nil }
            om = v
            j += 2
        }
        // Offsets in use span -12:00 to +14:00; ±18:00 is the widest any standard library accepts.
        guard j == u.count, om < 60, oh * 60 + om <= 18 * 60 else { return nil }
        let t = millis - sign * Int64(oh * 3_600_000 + om * 60_000)
        return inRange(millis: t) ? t : nil
    }

    static func digits(_ u: [UInt8], _ at: Int, _ n: Int) -> Int? {
        guard at + n <= u.count else { return nil }
        var v = 0
        for k in at..<(at + n) {
            let b = u[k]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return v
    }
}
