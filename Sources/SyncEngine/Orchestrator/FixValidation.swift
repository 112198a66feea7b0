import Foundation
import MapDSL

/// Checks an operator's fix against the job's schemas before it is recorded: the field must exist
/// on one side of the mapping, and the value must be one the field can hold (its type, its
/// picklist, its length). A pure function of its inputs.
public enum FixValidation {
    /// What the fix corrects, when it may be recorded.
    public struct Accepted: Sendable, Equatable {
        /// The side the field belongs to (nil: a field of both sides, fixed on both).
        public var side: FixSide?
        /// The value as it will be recorded (text turned into the field's type where it reads as one).
        public var value: JSONValue

        /// Creates an accepted fix.
        public init(side: FixSide?, value: JSONValue) {
            self.side = side
            self.value = value
        }
    }

    /// Why the fix cannot be recorded, with a suggestion when there is one.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The message.
        public var message: String
        /// A `help:` line.
        public var help: String?
        public var description: String { message + (help.map { "\nhelp: \($0)" } ?? "") }
    }

    /// Checks `field` = `value` against the source and destination schemas.
    public static func check(field: String, value: JSONValue, source: Schema?, destination: Schema?) -> Result<Accepted, Problem> {
        let inSource = source?.fields.first { $0.name == field }
        let inDestination = destination?.fields.first { $0.name == field }
        switch (inSource, inDestination) {
        case (nil, nil):
            let candidates = (destination?.fields.map(\.name) ?? []) + (source?.fields.map(\.name) ?? [])
            let sides = [source.map { "the source \($0.qualifiedName)" }, destination.map { "the destination \($0.qualifiedName)" }]
                .compactMap { $0 }.joined(separator: " or ")
            let suggestion = Suggest.closest(to: field, in: candidates)
            return .failure(
                Problem(
                    message: "no field '\(field)' in \(sides.isEmpty ? "the job's schemas" : sides)",
                    help: suggestion.map { "did you mean '\($0)'?" } ?? "see 'mapc schema show' for the fields"))
        case (let s?, nil):
            return checkValue(value, of: s, side: .source)
        case (_, let d?):
            return checkValue(value, of: d, side: inSource == nil ? .destination : nil)
        }
    }

    static func checkValue(_ value: JSONValue, of field: Field, side: FixSide?) -> Result<Accepted, Problem> {
        var value = value
        // Text typed on a command line for a number or a boolean field is read as one.
        if case .string(let text) = value {
            switch field.type.baseType {
            case .int: if let i = Int(text) { value = .int(i) }
            case .decimal: if let d = Double(text), d.isFinite { value = .double(d) }
            case .bool: if text == "true" || text == "false" { value = .bool(text == "true") }
            default: break
            }
        }
        if case .failure(let f) = SourceDecoder.decode(value, as: field) {
            return .failure(
                Problem(
                    message: "'\(field.name)' is \(field.type.rawValue): \(f.message)",
                    help: "write FIELD:=JSON for a number, boolean or null (e.g. \(field.name):=42)"))
        }
        if value == .null, field.required || !field.nullable {
            return .failure(Problem(message: "'\(field.name)' is required and cannot be set to null", help: nil))
        }
        if let allowed = field.values, !allowed.isEmpty, let text = value.stringValue {
            let items = field.type == .multipicklist ? text.split(separator: ";").map(String.init) : [text]
            for item in items where !allowed.contains(item) {
                let suggestion = Suggest.closest(to: item, in: allowed)
                let list = allowed.prefix(12).map { "'\($0)'" }.joined(separator: ", ") + (allowed.count > 12 ? ", …" : "")
                return .failure(
                    Problem(
                        message: "'\(item)' is not an allowed value of '\(field.name)'",
                        help: (suggestion.map { "did you mean '\($0)'? " } ?? "") + "allowed: \(list)"))
            }
        }
        if let max = field.maxLength, let text = value.stringValue, field.rules.length.unit.count(text) > max {
            return .failure(
                Problem(
                    message:
                        "'\(field.name)' holds at most \(max) \(field.rules.length.unit.noun); the value has \(field.rules.length.unit.count(text))",
                    help: nil))
        }
        if side != .source, field.readOnly {
            return .failure(Problem(message: "'\(field.name)' is read-only on the destination; a fix cannot set it", help: nil))
        }
        return .success(Accepted(side: side, value: value))
    }
}
