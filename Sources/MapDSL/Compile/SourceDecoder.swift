/// Reads source values as their schema types: platforms send numbers and booleans as text (HubSpot
/// sends every property as a string), dates as ISO text or epoch milliseconds, and `""` for "no value".
public enum SourceDecoder {
    /// The typed value of `json` for `field`, or why it cannot be read.
    public static func decode(_ json: JSONValue, as field: Field) -> Result<Value, RecordFailure> {
        decode(json, type: field.type, name: field.name)
    }

    /// The typed value of `json` for a field of `type` called `name` (the name is only read for
    /// the failure's message).
    static func decode(_ json: JSONValue, type: FieldType, name: String) -> Result<Value, RecordFailure> {
        func fail(_ what: String) -> Result<Value, RecordFailure> {
            .failure(
                RecordFailure(
                    code: .unreadableSourceValue,
                    message: "source field `\(name)` is declared \(type.rawValue), but holds \(what)",
                    sourceField: name))
        }
        func outOfRange(_ code: RecordErrorCode, _ what: String) -> Result<Value, RecordFailure> {
            .failure(RecordFailure(code: code, message: "source field `\(name)` holds \(what)", sourceField: name))
        }
        func date(_ day: Int, _ what: @autoclosure () -> String) -> Result<Value, RecordFailure> {
            Dates.inRange(day: day)
                ? .success(.date(day)) : outOfRange(.dateOutOfRange, "\(what()), a date outside 0001-01-01 to 9999-12-31")
        }
        func datetime(_ t: Int64, _ what: @autoclosure () -> String) -> Result<Value, RecordFailure> {
            Dates.inRange(millis: t)
                ? .success(.datetime(t)) : outOfRange(.dateOutOfRange, "\(what()), a date-time outside 0001-01-01 to 9999-12-31")
        }
        switch type {
        case .string, .picklist, .id, .multipicklist:
            switch json {
            case .null: return .success(.null)
            case .string(let s): return .success(.string(s))
            case .int(let i): return .success(.string(String(i)))
            case .double(let d):
                // The record decoders give a number's text as written; a parsed number too large
                // for a double has lost it.
                guard d.isFinite else { return outOfRange(.numberOutOfRange, "a number too large to read") }
                return .success(.string(Value.decimal(d).text))
            case .bool(let b): return .success(.string(b ? "true" : "false"))
            case .array(let items) where items.allSatisfy({ $0.stringValue != nil }):
                return .success(.string(items.compactMap(\.stringValue).joined(separator: ";")))
            default: return fail("a JSON \(json.kindName)")
            }
        case .int:
            switch json {
            case .null: return .success(.null)
            case .int(let i): return .success(.int(i))
            case .double(let d) where d.rounded() == d && abs(d) < 9e15: return .success(.int(Int(d)))
            case .double(let d) where !d.isFinite || (d.rounded() == d && abs(d) >= 9.2e18):
                return outOfRange(.numberOutOfRange, "a number too large for a 64-bit integer")
            case .string(let s):
                if Text.isBlank(.string(s)) { return .success(.null) }
                if let i = Convert.parseInt(s) { return .success(.int(i)) }
                return fail("\"\(s)\"")
            default: return fail(json.kindName == "number" ? "\(JSONWriter.compact(json))" : "a JSON \(json.kindName)")
            }
        case .decimal:
            switch json {
            case .null: return .success(.null)
            case .int(let i): return .success(.decimal(Double(i)))
            case .double(let d):
                guard d.isFinite else { return outOfRange(.numberOutOfRange, "a number too large for a decimal") }
                return .success(.decimal(d))
            case .string(let s):
                if Text.isBlank(.string(s)) { return .success(.null) }
                if let d = Convert.decimal(.string(s)) { return .success(.decimal(d)) }
                return fail("\"\(s)\"")
            default: return fail("a JSON \(json.kindName)")
            }
        case .bool:
            switch json {
            case .null: return .success(.null)
            case .bool(let b): return .success(.bool(b))
            case .int(let i) where i == 0 || i == 1: return .success(.bool(i == 1))
            case .string(let s):
                if Text.isBlank(.string(s)) { return .success(.null) }
                if let b = Convert.bool(.string(s)) { return .success(.bool(b)) }
                return fail("\"\(s)\"")
            default: return fail("a JSON \(json.kindName)")
            }
        case .date:
            switch json {
            case .null: return .success(.null)
            case .int(let ms): return date(Dates.day(ofMillis: Int64(ms)), "\(ms) milliseconds since 1970")
            case .string(let s):
                let t = Text.trim(s)
                if t.isEmpty { return .success(.null) }
                if let d = Dates.parseISODate(Substring(t)) { return .success(.date(d)) }
                if let ms = Int64(t) { return date(Dates.day(ofMillis: ms), "\(ms) milliseconds since 1970") }
                return fail("\"\(s)\", which is not an ISO 8601 date")
            default: return fail("a JSON \(json.kindName)")
            }
        case .datetime:
            switch json {
            case .null: return .success(.null)
            case .int(let ms): return datetime(Int64(ms), "\(ms) milliseconds since 1970")
            case .string(let s):
                let t = Text.trim(s)
                if t.isEmpty { return .success(.null) }
                if let ms = Dates.parseISODateTime(Substring(t)) { return .success(.datetime(ms)) }
                if let ms = Int64(t) { return datetime(ms, "\(ms) milliseconds since 1970") }
                return fail("\"\(s)\", which is not an ISO 8601 date-time")
            default: return fail("a JSON \(json.kindName)")
            }
        }
    }
}
