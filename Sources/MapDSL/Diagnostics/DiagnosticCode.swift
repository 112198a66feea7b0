/// The catalogue of stable diagnostic codes, sorted by code.
///
/// Codes never change meaning once published; `docs/dsl.md` documents each one, and a test checks
/// that the catalogue and the documentation agree.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable, Codable {
    // Syntax
    case unexpectedCharacter = "E0101"
    case unterminatedString = "E0102"
    case invalidEscape = "E0103"
    case invalidNumber = "E0104"
    case invalidUTF8 = "E0105"
    case expectedToken = "E0110"
    case missingHeader = "E0111"
    case duplicateHeader = "E0112"
    case expectedExpression = "E0113"
    case unclosedDelimiter = "E0114"
    case nestedTooDeeply = "E0115"
    // Names
    case unknownSourceField = "E0201"
    case unknownDestinationField = "E0202"
    case unknownObject = "E0203"
    case unknownFunction = "E0204"
    case unknownLookupField = "E0205"
    // Types
    case typeMismatch = "E0301"
    case optionalIntoRequired = "E0302"
    case picklistValueNotAllowed = "E0303"
    case literalTooLong = "E0304"
    case wrongArity = "E0305"
    case wrongArgumentType = "E0306"
    case operatorTypeMismatch = "E0307"
    case conditionNotBool = "E0308"
    case incompatibleBranches = "E0309"
    case patternTypeMismatch = "E0310"
    case invalidLiteral = "E0311"
    // Structure
    case readOnlyField = "E0401"
    case duplicateAssignment = "E0402"
    case requiredFieldUnassigned = "E0403"
    case matchWithoutDefault = "E0404"
    case keyNotUnique = "E0405"
    case keyNotAssigned = "E0406"
    case missingKey = "E0407"
    case invalidLookup = "E0408"
    case recordUsedAsValue = "E0409"
    // Warnings
    case duplicatePattern = "W0501"
    case unreachableArm = "W0502"
    case constantCondition = "W0503"

    /// The default severity of the code.
    public var severity: Severity {
        rawValue.hasPrefix("W") ? .warning : .error
    }

    /// A short title used in documentation and JSON output.
    public var title: String {
        switch self {
        case .unexpectedCharacter: "unexpected character"
        case .unterminatedString: "unterminated string literal"
        case .invalidEscape: "invalid escape sequence"
        case .invalidNumber: "invalid number literal"
        case .invalidUTF8: "text that is not UTF-8"
        case .expectedToken: "expected a different token"
        case .missingHeader: "missing `mapping` header"
        case .duplicateHeader: "header given twice"
        case .expectedExpression: "expected an expression"
        case .unclosedDelimiter: "unclosed delimiter"
        case .nestedTooDeeply: "expression nested too deeply"
        case .unknownSourceField: "unknown source field"
        case .unknownDestinationField: "unknown destination field"
        case .unknownObject: "unknown platform object"
        case .unknownFunction: "unknown function"
        case .unknownLookupField: "unknown field of a looked-up object"
        case .typeMismatch: "value type does not fit the destination field"
        case .optionalIntoRequired: "optional value assigned to a required field"
        case .picklistValueNotAllowed: "value not in the picklist"
        case .literalTooLong: "literal longer than the field allows"
        case .wrongArity: "wrong number of arguments"
        case .wrongArgumentType: "argument of the wrong type"
        case .operatorTypeMismatch: "operator applied to the wrong types"
        case .conditionNotBool: "condition is not a boolean"
        case .incompatibleBranches: "branches have incompatible types"
        case .patternTypeMismatch: "match pattern of the wrong type"
        case .invalidLiteral: "invalid literal argument"
        case .readOnlyField: "assignment to a read-only field"
        case .duplicateAssignment: "field assigned twice"
        case .requiredFieldUnassigned: "required destination field not assigned"
        case .matchWithoutDefault: "match without a default arm"
        case .keyNotUnique: "key field is not unique"
        case .keyNotAssigned: "key field not assigned"
        case .missingKey: "missing `key` declaration"
        case .invalidLookup: "malformed lookup"
        case .recordUsedAsValue: "looked-up record used as a value"
        case .duplicatePattern: "duplicate match pattern"
        case .unreachableArm: "unreachable match arm"
        case .constantCondition: "condition is always the same"
        }
    }
}
