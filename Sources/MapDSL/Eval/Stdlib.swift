import Crypto
import Foundation

/// The standard library of the mapping language: every function a mapping may call.
public enum Stdlib {
    /// All functions, by name.
    public static let functions: [String: Builtin] = {
        var map: [String: Builtin] = [:]
        for b in all { map[b.name] = b }
        return map
    }()

    /// All functions in documentation order.
    public static let all: [Builtin] = strings + nulls + conversions + dates + numbers

    private static let S: [BaseType] = [.string]
    private static let I: [BaseType] = [.int]
    private static let N: [BaseType] = [.int, .decimal]
    private static let D: [BaseType] = [.date, .datetime]
    private static let any: [BaseType] = []

    private static func fn(
        _ name: String, _ params: [ParamSpec], required: Int? = nil, variadic: Bool = false,
        nulls: NullHandling = .propagate, _ result: ResultRule, _ summary: String, _ example: String, _ impl: BuiltinImpl
    ) -> Builtin {
        Builtin(
            name: name, params: params, required: required ?? params.count, variadic: variadic, nulls: nulls,
            result: result, summary: summary, example: example, impl: impl)
    }

    @inline(__always) static func str(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return v.text
    }

    @inline(__always) static func int(_ v: Value) -> Int {
        switch v {
        case .int(let i): return i
        case .decimal(let d): return d.isFinite && abs(d) < 9.2e18 ? Int(d) : 0
        default: return 0
        }
    }

    /// The length unit called `name`, for the `unit` argument of `truncate` and `length`.
    static func unit(_ name: String) -> Result<LengthUnit, PatternError> {
        guard let u = LengthUnit(rawValue: name) else {
            let allowed = LengthUnit.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(PatternError(message: "unknown unit \"\(name)\" (allowed: \(allowed))"))
        }
        return .success(u)
    }

    @inline(__always) static func dbl(_ v: Value) -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .decimal(let d): return d
        default: return 0
        }
    }

    // MARK: Strings

    static let strings: [Builtin] = [
        fn(
            "lower", [ParamSpec("text", S)], .fixed(.string, optional: false), "Lower-cases text.", #"lower("Ann@X.COM") → "ann@x.com""#,
            .unary { .string(Text.lower(str($0))) }),
        fn(
            "upper", [ParamSpec("text", S)], .fixed(.string, optional: false), "Upper-cases text.", #"upper("de") → "DE""#,
            .unary { .string(Text.upper(str($0))) }),
        fn(
            "trim", [ParamSpec("text", S)], .fixed(.string, optional: false), "Removes surrounding whitespace.",
            #"trim("  Ann ") → "Ann""#, .unary { .string(Text.trim(str($0))) }),
        fn(
            "title", [ParamSpec("text", S)], .fixed(.string, optional: false),
            "Title-cases text: the first letter of each word upper case, the rest lower case.",
            #"title("mary-jane o'BRIEN") → "Mary-Jane O'Brien""#, .unary { .string(Text.titleCase(str($0))) }),
        fn(
            "replace", [ParamSpec("text", S), ParamSpec("find", S), ParamSpec("with", S)], .fixed(.string, optional: false),
            "Replaces every occurrence of `find`.", #"replace("a-b-c", "-", " ") → "a b c""#,
            .ternary { t, f, w in
                let find = str(f)
                return find.isEmpty ? t : .string(str(t).replacingOccurrences(of: find, with: str(w)))
            }),
        fn(
            "split", [ParamSpec("text", S), ParamSpec("separator", S), ParamSpec("index", I)], .fixed(.string, optional: true),
            "Splits text at `separator` and returns part `index` (0-based; negative counts from the end), or null when there is no such part.",
            #"split("Ann Lee", " ", -1) → "Lee""#,
            .ternary { t, s, i in
                let sep = str(s)
                let text = str(t)
                let parts = sep.isEmpty ? [text] : text.components(separatedBy: sep)
                var idx = int(i)
                if idx < 0 { idx += parts.count }
                return idx >= 0 && idx < parts.count ? .string(parts[idx]) : .null
            }),
        fn(
            "substring", [ParamSpec("text", S), ParamSpec("start", I), ParamSpec("length", I)], required: 2,
            .fixed(.string, optional: false),
            "Characters from `start` (0-based), at most `length` of them (all when omitted); out-of-range positions are clamped.",
            #"substring("2024-03-05T10:00", 0, 10) → "2024-03-05""#,
            .variadic { a in .string(Text.substring(str(a[0]), int(a[1]), a.count > 2 ? int(a[2]) : nil)) }),
        fn(
            "left", [ParamSpec("text", S), ParamSpec("count", I)], .fixed(.string, optional: false),
            "The first `count` characters.", #"left("2024-03-05T10:00", 10) → "2024-03-05""#,
            .binary { t, n in .string(Text.substring(str(t), 0, max(0, int(n)))) }),
        fn(
            "right", [ParamSpec("text", S), ParamSpec("count", I)], .fixed(.string, optional: false),
            "The last `count` characters.", #"right("ABC-123", 3) → "123""#,
            .binary { t, n in
                let s = str(t)
                let k = max(0, int(n))
                return .string(k >= s.count ? s : String(s.suffix(k)))
            }),
        fn(
            "truncate", [ParamSpec("text", S), ParamSpec("max", I), ParamSpec("suffix", S), ParamSpec("unit", S)], required: 2,
            .fixed(.string, optional: false),
            "Shortens text to at most `max`, ending with `suffix` (default none) when it was cut; never cuts inside a character. Counted in `unit` (`characters`, `scalars`, `utf16`, `utf8`); by default in the unit of the destination field the value goes to.",
            #"truncate("Hello world", 8, "…") → "Hello w…""#,
            .patterned(index: 3) { name in
                unit(name).map { u in
                    { (a: [Value]) throws -> Value in .string(Text.truncate(str(a[0]), int(a[1]), a.count > 2 ? str(a[2]) : "", unit: u)) }
                }
            }),
        fn(
            "length", [ParamSpec("text", S), ParamSpec("unit", S)], required: 1, .fixed(.int, optional: false),
            "Length of text in `unit` (`characters`, `scalars`, `utf16`, `utf8`); by default in the unit of the destination field the value goes to.",
            #"length("Zoë") → 3"#,
            .patterned(index: 1) { name in unit(name).map { u in { (a: [Value]) throws -> Value in .int(u.count(str(a[0]))) } } }),
        fn(
            "contains", [ParamSpec("text", S), ParamSpec("part", S)], .fixed(.bool, optional: false),
            "Whether `part` occurs in text (case-sensitive).", #"contains("ann@gmail.com", "@gmail.") → true"#,
            .binary { t, p in .bool(str(p).isEmpty || str(t).contains(str(p))) }),
        fn(
            "starts_with", [ParamSpec("text", S), ParamSpec("prefix", S)], .fixed(.bool, optional: false),
            "Whether text starts with `prefix`.", #"starts_with("+44 20", "+44") → true"#,
            .binary { t, p in .bool(str(t).hasPrefix(str(p))) }),
        fn(
            "ends_with", [ParamSpec("text", S), ParamSpec("suffix", S)], .fixed(.bool, optional: false),
            "Whether text ends with `suffix`.", #"ends_with("ann@acme.io", ".io") → true"#,
            .binary { t, p in .bool(str(t).hasSuffix(str(p))) }),
        fn(
            "matches", [ParamSpec("text", S), ParamSpec("regex", S)], .fixed(.bool, optional: false),
            "Whether the regular expression matches anywhere in text (ICU syntax; anchor with ^ and $).",
            ##"matches("AB-1234", "^[A-Z]{2}-\d+$") → true"##,
            .patterned(index: 1) { pattern in
                Regex.compile(pattern).map { re in { (a: [Value]) throws -> Value in .bool(Regex.matches(re, str(a[0]))) } }
            }),
        fn(
            "extract", [ParamSpec("text", S), ParamSpec("regex", S)], .fixed(.string, optional: true),
            "The first capture group of the first match (the whole match when there is no group), or null.",
            ##"extract("Order #4411", "#(\d+)") → "4411""##,
            .patterned(index: 1) { pattern in
                Regex.compile(pattern).map { re in
                    { (a: [Value]) throws -> Value in Regex.extract(re, str(a[0])).map(Value.string) ?? .null }
                }
            }),
        fn(
            "concat", [ParamSpec("part", [.string, .int, .decimal, .bool, .date, .datetime])], required: 1, variadic: true,
            nulls: .handles, .fixed(.string, optional: false),
            "Joins values as text; nulls count as empty text.", #"concat(firstname, " ", lastname) → "Ann Lee""#,
            .variadic { a in
                var out = ""
                for v in a { out += v.text }
                return .string(out)
            }),
        fn(
            "join", [ParamSpec("separator", S), ParamSpec("part", [.string, .int, .decimal, .bool, .date, .datetime])],
            required: 2, variadic: true, nulls: .handles, .fixed(.string, optional: false),
            "Joins the parts that are not null or blank with `separator`.",
            #"join(" ", "Ann", null, "Lee") → "Ann Lee""#,
            .variadic { a in
                let sep = a[0].isNull ? "" : str(a[0])
                return .string(a.dropFirst().filter { !Text.isBlank($0) }.map(\.text).joined(separator: sep))
            }),
        fn(
            "md5", [ParamSpec("text", S)], .fixed(.string, optional: false),
            "The lower-case hexadecimal MD5 of the text's UTF-8 bytes (Mailchimp's subscriber hash is `md5(lower(email))`).",
            #"md5("abc") → "900150983cd24fb0d6963f7d28e17f72""#, .unary { .string(MD5.hex(str($0))) }),
        fn(
            "email_domain", [ParamSpec("email", S)], .fixed(.string, optional: true),
            "The lower-cased domain after the last `@`, or null when there is none.", #"email_domain("Ann@Acme.COM") → "acme.com""#,
            .unary { v in
                let s = Text.trim(str(v))
                guard let at = s.lastIndex(of: "@") else { return .null }
                let domain = s[s.index(after: at)...]
                return domain.isEmpty ? .null : .string(domain.lowercased())
            }),
        fn(
            "normalize_phone", [ParamSpec("phone", S), ParamSpec("country", S)], required: 1, .fixed(.string, optional: true),
            "The number in E.164 form (`+15550102030`), using the calling code of `country` (ISO code, default US) when the number has none; null when it is not a plausible phone number.",
            #"normalize_phone("(555) 010-2030") → "+15550102030""#,
            .variadic { a in Phone.normalize(str(a[0]), country: a.count > 1 ? str(a[1]) : "US").map(Value.string) ?? .null }),
    ]

    // MARK: Nulls and blanks

    static let nulls: [Builtin] = [
        fn(
            "is_null", [ParamSpec("value", any)], nulls: .handles, .fixed(.bool, optional: false), "Whether the value is null.",
            "is_null(phone) → true", .unary { .bool($0.isNull) }),
        fn(
            "blank", [ParamSpec("value", any)], nulls: .handles, .fixed(.bool, optional: false),
            "Whether the value is null, or text that is empty or only whitespace.", #"blank("  ") → true"#,
            .unary { .bool(Text.isBlank($0)) }),
        fn(
            "present", [ParamSpec("value", any)], nulls: .handles, .fixed(.bool, optional: false),
            "The opposite of `blank`.", #"present("Ann") → true"#, .unary { .bool(!Text.isBlank($0)) }),
        fn(
            "null_if_blank", [ParamSpec("text", S)], .fixed(.string, optional: true),
            "Null when the text is empty or only whitespace, else the text unchanged.", #"null_if_blank(" ") → null"#,
            .unary { Text.isBlank($0) ? .null : $0 }),
        fn(
            "coalesce", [ParamSpec("value", any)], required: 2, variadic: true, nulls: .handles, .coalesced,
            "The first argument that is not null (like chained `??`).", #"coalesce(mobilephone, phone, "n/a")"#,
            .variadic { a in a.first { !$0.isNull } ?? .null }),
    ]

    // MARK: Conversions

    static let conversions: [Builtin] = [
        fn(
            "to_int", [ParamSpec("value", [.string, .int, .decimal, .bool])], .fixed(.int, optional: false),
            "Converts to an integer (text is trimmed; decimals are truncated); fails the record when it cannot.",
            #"to_int(" 42 ") → 42"#,
            .unary { v throws in
                if let i = Convert.int(v) { return .int(i) }
                throw EvalError(.conversionFailed, "cannot convert \(v.display) to an integer")
            }),
        fn(
            "try_int", [ParamSpec("value", [.string, .int, .decimal, .bool])], .fixed(.int, optional: true),
            "Like `to_int`, but null instead of failing.", #"try_int("50-100") → null"#,
            .unary { v in Convert.int(v).map(Value.int) ?? .null }),
        fn(
            "to_decimal", [ParamSpec("value", [.string, .int, .decimal])], .fixed(.decimal, optional: false),
            "Converts to a decimal number; fails the record when it cannot.", #"to_decimal("1,200.50") → 1200.5"#,
            .unary { v throws in
                if let d = Convert.decimal(v) { return .decimal(d) }
                throw EvalError(.conversionFailed, "cannot convert \(v.display) to a decimal")
            }),
        fn(
            "try_decimal", [ParamSpec("value", [.string, .int, .decimal])], .fixed(.decimal, optional: true),
            "Like `to_decimal`, but null instead of failing.", #"try_decimal("n/a") → null"#,
            .unary { v in Convert.decimal(v).map(Value.decimal) ?? .null }),
        fn(
            "to_bool", [ParamSpec("value", [.string, .int, .bool])], .fixed(.bool, optional: false),
            "true/yes/y/1/on and false/no/n/0/off (any case) to a boolean; fails the record otherwise.",
            #"to_bool("Yes") → true"#,
            .unary { v throws in
                if let b = Convert.bool(v) { return .bool(b) }
                throw EvalError(.conversionFailed, "cannot convert \(v.display) to a boolean")
            }),
        fn(
            "try_bool", [ParamSpec("value", [.string, .int, .bool])], .fixed(.bool, optional: true),
            "Like `to_bool`, but null instead of failing.", #"try_bool("maybe") → null"#,
            .unary { v in Convert.bool(v).map(Value.bool) ?? .null }),
        fn(
            "to_string", [ParamSpec("value", any)], .fixed(.string, optional: false),
            "Renders any value as text (dates in ISO 8601).", "to_string(42) → \"42\"", .unary { .string($0.text) }),
    ]

    // MARK: Dates

    static let dates: [Builtin] = [
        fn(
            "to_date", [ParamSpec("value", [.string, .date, .datetime])], .fixed(.date, optional: false),
            "An ISO 8601 date (`2024-03-05`, or the date of a date-time); fails the record otherwise.",
            #"to_date("2024-03-05T10:22:11Z") → 2024-03-05"#,
            .unary { v throws in
                if let d = Convert.date(v) { return .date(d) }
                throw EvalError(.invalidDate, "cannot read \(v.display) as an ISO 8601 date")
            }),
        fn(
            "try_date", [ParamSpec("value", [.string, .date, .datetime])], .fixed(.date, optional: true),
            "Like `to_date`, but null instead of failing.", #"try_date("31/02/2020") → null"#,
            .unary { v in Convert.date(v).map(Value.date) ?? .null }),
        fn(
            "to_datetime", [ParamSpec("value", [.string, .date, .datetime])], .fixed(.datetime, optional: false),
            "An ISO 8601 date-time (UTC unless an offset is given; a date means midnight UTC); fails the record otherwise.",
            #"to_datetime("2024-03-05 10:22") → 2024-03-05T10:22:00.000Z"#,
            .unary { v throws in
                if let t = Convert.datetime(v) { return .datetime(t) }
                throw EvalError(.invalidDate, "cannot read \(v.display) as an ISO 8601 date-time")
            }),
        fn(
            "try_datetime", [ParamSpec("value", [.string, .date, .datetime])], .fixed(.datetime, optional: true),
            "Like `to_datetime`, but null instead of failing.", #"try_datetime("yesterday") → null"#,
            .unary { v in Convert.datetime(v).map(Value.datetime) ?? .null }),
        fn(
            "parse_date", [ParamSpec("text", S), ParamSpec("pattern", S)], .fixed(.date, optional: false),
            "Reads a date written in `pattern` (yyyy MM dd, see Date patterns); fails the record when it does not fit.",
            #"parse_date("05/03/2024", "dd/MM/yyyy") → 2024-03-05"#,
            .patterned(index: 1) { p in
                DatePattern.compile(p).flatMap { pat in
                    guard pat.isComplete else {
                        return .failure(PatternError(message: "a date pattern for parsing needs a year, a month and a day"))
                    }
                    return .success { (a: [Value]) throws -> Value in
                        let s = Text.trim(str(a[0]))
                        guard let t = pat.parse(s) else {
                            throw EvalError(.invalidDate, "\"\(s)\" does not fit the date pattern \"\(pat.text)\"")
                        }
                        return .date(Dates.day(ofMillis: t))
                    }
                }
            }),
        fn(
            "parse_datetime", [ParamSpec("text", S), ParamSpec("pattern", S)], .fixed(.datetime, optional: false),
            "Reads a date-time written in `pattern` (UTC); fails the record when it does not fit.",
            #"parse_datetime("05/03/2024 14:30", "dd/MM/yyyy HH:mm") → 2024-03-05T14:30:00.000Z"#,
            .patterned(index: 1) { p in
                DatePattern.compile(p).flatMap { pat in
                    guard pat.isComplete else {
                        return .failure(PatternError(message: "a date pattern for parsing needs a year, a month and a day"))
                    }
                    return .success { (a: [Value]) throws -> Value in
                        let s = Text.trim(str(a[0]))
                        guard let t = pat.parse(s) else {
                            throw EvalError(.invalidDate, "\"\(s)\" does not fit the date pattern \"\(pat.text)\"")
                        }
                        return .datetime(t)
                    }
                }
            }),
        fn(
            "format_date", [ParamSpec("date", D), ParamSpec("pattern", S)], .fixed(.string, optional: false),
            "Writes a date or date-time in `pattern`.", #"format_date(to_date("2024-03-05"), "MM/dd") → "03/05""#,
            .patterned(index: 1) { p in
                DatePattern.compile(p).map { pat in
                    { (a: [Value]) throws -> Value in
                        switch a[0] {
                        case .date(let d):
                            guard Dates.inRange(day: d) else { throw Dates.outOfRange("the date \(Dates.formatDate(d))") }
                            return .string(pat.format(Dates.millis(ofDay: d)))
                        case .datetime(let t):
                            guard Dates.inRange(millis: t) else { throw Dates.outOfRange("the date-time \(Dates.formatDateTime(t))") }
                            return .string(pat.format(t))
                        default: return .null
                        }
                    }
                }
            }),
        fn(
            "add_days", [ParamSpec("date", D), ParamSpec("days", I)], .sameAs(0), "Moves a date or date-time by whole days.",
            #"add_days(to_date("2024-02-28"), 1) → 2024-02-29"#,
            .binary { d, n in
                switch d {
                case .date(let x): .date(try Dates.addDays(x, int(n)))
                case .datetime(let t): .datetime(try Dates.addDays(millis: t, int(n)))
                default: .null
                }
            }),
        fn(
            "days_between", [ParamSpec("from", D), ParamSpec("to", D)], .fixed(.int, optional: false),
            "Whole days from `from` to `to` (negative when `to` is earlier).",
            #"days_between(to_date("2024-01-01"), to_date("2024-03-01")) → 60"#,
            .binary { a, b in
                let (r, overflow) = Convert.dayNumber(b).subtractingReportingOverflow(Convert.dayNumber(a))
                if overflow { throw Dates.outOfRange("the number of days between \(a.text) and \(b.text)") }
                return .int(r)
            }),
        fn(
            "year", [ParamSpec("date", D)], .fixed(.int, optional: false), "The calendar year.", "year(createdate) → 2024",
            .unary { .int(Dates.civil(Convert.dayNumber($0)).year) }),
        fn(
            "month", [ParamSpec("date", D)], .fixed(.int, optional: false), "The month, 1-12.", "month(createdate) → 3",
            .unary { .int(Dates.civil(Convert.dayNumber($0)).month) }),
        fn(
            "day", [ParamSpec("date", D)], .fixed(.int, optional: false), "The day of the month, 1-31.", "day(createdate) → 5",
            .unary { .int(Dates.civil(Convert.dayNumber($0)).day) }),
    ]

    // MARK: Numbers

    static let numbers: [Builtin] = [
        fn(
            "round", [ParamSpec("number", N), ParamSpec("digits", I)], required: 1, .fixed(.decimal, optional: false),
            "Rounds half away from zero, to `digits` decimal places (default 0).", "round(2.345, 2) → 2.35",
            .variadic { a in
                let digits = a.count > 1 ? int(a[1]) : 0
                let scale = pow(10.0, Double(min(max(digits, -15), 15)))
                let x = dbl(a[0])
                let scaled = x * scale
                // A number too large to scale has no digits after the point to round.
                guard scaled.isFinite else { return .decimal(x) }
                return .decimal(scaled.rounded(.toNearestOrAwayFromZero) / scale)
            }),
        fn(
            "abs", [ParamSpec("number", N)], .sameAs(0), "The absolute value.", "abs(-3) → 3",
            .unary { v in
                switch v {
                case .int(let i): i == Int.min ? .decimal(-Double(i)) : .int(abs(i))
                case .decimal(let d): .decimal(abs(d))
                default: v
                }
            }),
        fn(
            "min", [ParamSpec("number", N)], required: 2, variadic: true, .unified, "The smallest argument.", "min(3, 5) → 3",
            .variadic { a in a.min { dbl($0) < dbl($1) } ?? .null }),
        fn(
            "max", [ParamSpec("number", N)], required: 2, variadic: true, .unified, "The largest argument.", "max(3, 5) → 5",
            .variadic { a in a.max { dbl($0) < dbl($1) } ?? .null }),
    ]
}
