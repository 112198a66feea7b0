/// A compiled date pattern such as `MM/dd/yyyy` or `yyyy-MM-dd HH:mm:ss`, used by `parse_date`,
/// `parse_datetime` and `format_date`.
///
/// Letters: `yyyy` year, `yy` two-digit year (2000-2099), `MM`/`M` month, `MMM` month abbreviation
/// (`Jan`), `dd`/`d` day, `HH`/`H` hour (0-23), `mm` minute, `ss` second, `SSS` milliseconds. Other
/// characters stand for themselves; text in single quotes is literal.
public struct DatePattern: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case year4, year2, month2, month1, monthName, day2, day1, hour2, hour1, minute2, second2, millis3
        case literal(String)
    }

    let parts: [Part]
    /// The pattern as written.
    public let text: String
    /// Whether the pattern has a year, a month and a day, as parsing needs.
    public let isComplete: Bool

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Compiles `text`; returns nil with a reason when the pattern is invalid.
    public static func compile(_ text: String) -> Result<DatePattern, PatternError> {
        var parts: [Part] = []
        let chars = Array(text)
        var i = 0
        var hasYear = false
        var hasMonth = false
        var hasDay = false
        while i < chars.count {
            let c = chars[i]
            var run = 1
            while i + run < chars.count, chars[i + run] == c { run += 1 }
            switch c {
            case "y":
                guard run == 4 || run == 2 else { return .failure(PatternError(message: "use `yyyy` or `yy` for the year")) }
                parts.append(run == 4 ? .year4 : .year2)
                hasYear = true
            case "M":
                guard run <= 3 else { return .failure(PatternError(message: "use `MM`, `M` or `MMM` for the month")) }
                parts.append(run == 3 ? .monthName : run == 2 ? .month2 : .month1)
                hasMonth = true
            case "d":
                guard run <= 2 else { return .failure(PatternError(message: "use `dd` or `d` for the day")) }
                parts.append(run == 2 ? .day2 : .day1)
                hasDay = true
            case "H":
                guard run <= 2 else { return .failure(PatternError(message: "use `HH` or `H` for the hour")) }
                parts.append(run == 2 ? .hour2 : .hour1)
            case "m":
                guard run == 2 else { return .failure(PatternError(message: "use `mm` for minutes (months are `MM`)")) }
                parts.append(.minute2)
            case "s":
                guard run == 2 else { return .failure(PatternError(message: "use `ss` for seconds")) }
                parts.append(.second2)
            case "S":
                guard run == 3 else { return .failure(PatternError(message: "use `SSS` for milliseconds")) }
                parts.append(.millis3)
            case "'":
                var lit = ""
                var j = i + 1
                while j < chars.count, chars[j] != "'" {
                    lit.append(chars[j])
                    j += 1
                }
                guard j < chars.count else { return .failure(PatternError(message: "unclosed quote in the pattern")) }
                parts.append(.literal(lit.isEmpty ? "'" : lit))
                i = j + 1
                continue
            case _ where c.isLetter:
                return .failure(PatternError(message: "unknown pattern letter `\(c)` (use y M d H m s S)"))
            default:
                parts.append(.literal(String(repeating: String(c), count: run)))
            }
            i += run
        }
        return .success(DatePattern(parts: parts, text: text, isComplete: hasYear && hasMonth && hasDay))
    }

    /// Parses `s` into milliseconds since the epoch (UTC); nil when it does not fit the pattern.
    public func parse(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        var i = 0
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0
        func fixed(_ n: Int) -> Int? {
            guard let v = Dates.digits(u, i, n) else { return nil }
            i += n
            return v
        }
        func flexible(_ maxDigits: Int) -> Int? {
            var v = 0
            var k = 0
            while k < maxDigits, i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                v = v * 10 + Int(u[i] - 0x30)
                i += 1
                k += 1
            }
            return k > 0 ? v : nil
        }
        for part in parts {
            switch part {
            case .year4: guard let v = fixed(4) else { return nil }; year = v
            case .year2: guard let v = fixed(2) else { return nil }; year = 2000 + v
            case .month2: guard let v = fixed(2) else { return nil }; month = v
            case .month1: guard let v = flexible(2) else { return nil }; month = v
            case .monthName:
                guard i + 3 <= u.count else { return nil }
                let name = String(decoding: u[i..<(i + 3)], as: UTF8.self).lowercased()
                guard let idx = DatePattern.monthNames.firstIndex(where: { $0.lowercased() == name }) else { return nil }
                month = idx + 1
                i += 3
            case .day2: guard let v = fixed(2) else { return nil }; day = v
            case .day1: guard let v = flexible(2) else { return nil }; day = v
            case .hour2: guard let v = fixed(2), v < 24 else { return nil }; hour = v
            case .hour1: guard let v = flexible(2), v < 24 else { return nil }; hour = v
            case .minute2: guard let v = fixed(2), v < 60 else { return nil }; minute = v
            case .second2: guard let v = fixed(2), v < 60 else { return nil }; second = v
            case .millis3: guard let v = fixed(3) else { return nil }; millis = v
            case .literal(let lit):
                let l = Array(lit.utf8)
                guard i + l.count <= u.count, Array(u[i..<(i + l.count)]) == l else { return nil }
                i += l.count
            }
        }
        guard i == u.count, Dates.isValid(year: year, month: month, day: day) else { return nil }
        return Int64(Dates.days(year: year, month: month, day: day)) * 86_400_000
            + Int64(hour * 3_600_000 + minute * 60_000 + second * 1000 + millis)
    }

    /// Formats milliseconds since the epoch (UTC).
    public func format(_ t: Int64) -> String {
        let (days, rem) = Dates.floorDivMod(t, 86_400_000)
        let (y, m, d) = Dates.civil(Int(days))
        let ms = Int(rem)
        var out = ""
        for part in parts {
            switch part {
            case .year4: out += Dates.pad(y, 4)
            case .year2: out += Dates.pad(y % 100, 2)
            case .month2: out += Dates.pad(m, 2)
            case .month1: out += String(m)
            case .monthName: out += DatePattern.monthNames[m - 1]
            case .day2: out += Dates.pad(d, 2)
            case .day1: out += String(d)
            case .hour2: out += Dates.pad(ms / 3_600_000, 2)
            case .hour1: out += String(ms / 3_600_000)
            case .minute2: out += Dates.pad(ms / 60_000 % 60, 2)
            case .second2: out += Dates.pad(ms / 1000 % 60, 2)
            case .millis3: out += Dates.pad(ms % 1000, 3)
            case .literal(let l): out += l
            }
        }
        return out
    }
}

/// Why a pattern argument (date pattern or regular expression) is invalid.
public struct PatternError: Error, Sendable, Hashable {
    /// The reason.
    public var message: String
}
