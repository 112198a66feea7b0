import MapDSL

/// Decides what a stored change event does: which jobs its trigger rules start, unless it is an
/// echo of mapc's own write.
public struct TriggerProcessor: Sendable {
    /// Every job's trigger rules.
    public let rules: [TriggerRule]
    private let echo: EchoDetector?

    /// Creates a processor; without an echo detector nothing is suppressed.
    public init(rules: [TriggerRule], echo: EchoDetector?) {
        self.rules = rules
        self.echo = echo
    }

    /// The decision for `event`: the outcome to record and the jobs to run.
    public func decide(_ event: ChangeEvent) throws -> InboxDecision {
        var jobs: [String] = []
        for rule in rules where rule.matches(event) && !jobs.contains(rule.job) {
            jobs.append(rule.job)
        }
        guard !jobs.isEmpty else {
            return InboxDecision(outcome: .object([("result", "no_trigger")]))
        }
        if let verdict = try echo?.check(event) {
            return InboxDecision(
                outcome: .object([
                    ("result", "echo"), ("job", .string(verdict.job)), ("key", .string(verdict.key)),
                    ("reason", .string(verdict.reason)), ("suppressed", .array(jobs.map(JSONValue.string))),
                ]))
        }
        return InboxDecision(outcome: .object([("result", "triggered"), ("jobs", .array(jobs.map(JSONValue.string)))]), jobs: jobs)
    }
}
