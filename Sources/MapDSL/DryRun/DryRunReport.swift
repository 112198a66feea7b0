/// What a dry-run of a mapping over sample records found: counts, skips, rejections grouped by
/// reason and field, fill rates, lookup hits and duplicate keys.
///
/// The report is plain data; ``DryRun`` computes it and the `render…` extensions print it as a
/// terminal table, JSON or Markdown.
public struct DryRunReport: Sendable, Hashable {
    /// `platform.object -> platform.object`.
    public var mapping: String
    /// The mapping file as named by the caller.
    public var mappingPath: String
    /// The samples file as named by the caller.
    public var samplesPath: String
    /// Records read (blank lines are not records).
    public var read: Int
    /// Records mapped and valid for the destination.
    public var mapped: Int
    /// Records rejected (not mappable, or the destination would refuse them).
    public var rejected: Int
    /// One entry per skip rule, in the mapping's order (rules that skipped nothing included).
    public var skips: [SkipCount]
    /// Rejections grouped by reason code and field, most frequent first.
    public var rejections: [RejectionGroup]
    /// Records mapped (and sent by a sync) with values the destination may refuse: mapc is unsure
    /// of the platform's rule (see `platforms/<platform>/fields.json`).
    public var warned: Int = 0
    /// Those warnings grouped by code and field, most frequent first.
    public var warnings: [RejectionGroup] = []
    /// Fill rate of every destination field over the mapped records, in output order.
    public var fill: [FieldFill]
    /// Lookup statistics, when the mapping uses lookups.
    public var lookups: LookupCount?
    /// The key field, when the mapping declares one.
    public var keyField: String?
    /// Key values that appear on more than one mapped record, in order of first appearance.
    public var duplicateKeys: [DuplicateKey]
    /// The first records, source beside output, for `--show`.
    public var shown: [ShownRecord]

    /// Records skipped by any rule.
    public var skipped: Int { skips.reduce(0) { $0 + $1.count } }

    /// How many records one skip rule skipped.
    public struct SkipCount: Sendable, Hashable {
        /// The rule's condition in canonical form.
        public var rule: String
        /// Records it skipped.
        public var count: Int
        /// The first few line numbers.
        public var lines: [Int]
    }

    /// Rejections (or warnings) that share a reason code and a field.
    public struct RejectionGroup: Sendable, Hashable {
        /// The stable code (`V0704`, `R0601`, …).
        public var code: String
        /// The code's short title.
        public var title: String
        /// The destination (or source) field at fault, when there is one.
        public var field: String?
        /// Records rejected for this reason.
        public var count: Int
        /// The first few records: line number and message.
        public var examples: [Example]
    }

    /// One rejected record in a ``RejectionGroup``.
    public struct Example: Sendable, Hashable {
        /// 1-based line of the samples file.
        public var line: Int
        /// What was wrong, naming the value.
        public var message: String
    }

    /// How often a destination field got a value.
    public struct FieldFill: Sendable, Hashable {
        /// Destination field.
        public var field: String
        /// Mapped records with a non-null, non-blank value.
        public var filled: Int
        /// Mapped records.
        public var total: Int
    }

    /// Lookups made and found.
    public struct LookupCount: Sendable, Hashable {
        /// Lookups made.
        public var calls: Int
        /// Lookups that found exactly one record.
        public var hits: Int
    }

    /// A key value shared by several records.
    public struct DuplicateKey: Sendable, Hashable {
        /// The key value as text.
        public var value: String
        /// The lines of every record with it.
        public var lines: [Int]
    }

    /// One record shown beside its output.
    public struct ShownRecord: Sendable, Hashable {
        /// 1-based line of the samples file.
        public var line: Int
        /// Top-level source fields and their JSON text, in document order.
        public var source: [Pair]
        /// What became of it.
        public var outcome: Outcome
    }

    /// A field name and a rendered value.
    public struct Pair: Sendable, Hashable {
        /// Field name.
        public var field: String
        /// Rendered value (`"text"`, `42`, `null`).
        public var value: String
    }

    /// The outcome of one shown record.
    public enum Outcome: Sendable, Hashable {
        /// Mapped: destination fields and values.
        case mapped([Pair])
        /// Skipped by the rule with this text.
        case skipped(String)
        /// Rejected for these reasons (`code field: message`).
        case rejected([String])
    }
}

extension DryRunReport {
    /// `part` of `total` as a percentage with one decimal (`67.8%`); `–` when `total` is zero.
    public static func percent(_ part: Int, of total: Int) -> String {
        guard total > 0 else { return "–" }
        let tenths = (part * 1000 + total / 2) / total
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// Whether nothing was rejected and no key repeats.
    public var isClean: Bool { rejected == 0 && duplicateKeys.isEmpty }
}
