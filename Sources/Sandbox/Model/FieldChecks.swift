/// A schema resolved against the field names of one request (its columns), so that records given as
/// values by column are validated without looking a name up per record.
///
/// ``validate(_:creating:)`` reports exactly what ``FieldValidator/validate(_:against:creating:ignoring:)``
/// reports for the same record as a dictionary.
struct FieldChecks {
    /// Field names by column.
    private let names: [String]
    /// The schema field of each column (`nil`: the schema has no such field).
    private let specs: [FieldSpec?]
    /// The fields a new record must have, with their column (`nil`: the request never uses it).
    private let required: [(name: String, column: Int?)]

    /// Resolves `columns` (field names by column) against `schema`; `column(of:)` finds a name's column.
    init(columns: [String], schema: ObjectSchema, column: (String) -> Int?) {
        names = columns
        specs = columns.map { schema.field($0) }
        required = schema.requiredWritableFields.map { ($0.name, column($0.name)) }
    }

    /// Problems with the record whose present fields are `values` (by column, `nil` for absent; the
    /// array may be shorter than the columns); `creating` adds the required-field checks.
    func validate(_ values: [JSONValue?], creating: Bool) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        // Read in place: copying each value and field out of the arrays would retain and release them.
        values.withUnsafeBufferPointer { values in
            specs.withUnsafeBufferPointer { specs in
                for column in values.indices {
                    guard let value = values[column] else { continue }
                    if let problem = FieldValidator.problem(value, specs[column]) {
                        issues.append(FieldIssue(field: names[column], problem: problem))
                    }
                }
            }
        }
        if issues.count > 1 { issues.sort { $0.field < $1.field } }
        if creating {
            for (name, column) in required where FieldValidator.isMissing(column.flatMap { $0 < values.count ? values[$0] : nil }) {
                issues.append(FieldIssue(field: name, problem: .required))
            }
        }
        return issues
    }
}
