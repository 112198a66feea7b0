/// Every target `mapc-fuzz` runs, in order. Add new targets here.
let fuzzTargets: [any FuzzTarget] =
    [
        MappingSourceTarget(),
        RecordLineTarget(),
        FormatRoundTripTarget(),
    ] + WebhookDeliveryTarget.Platform.allCases.map { WebhookDeliveryTarget(platform: $0) }
    + PlatformReplyTarget.Platform.allCases.map { PlatformReplyTarget(platform: $0) }

/// Targets run only when named (`--target NAME`, `make fuzz-prose`): they still find inputs that take too
/// long, so a default run (and `make test`'s short one) would fail on them until those are fixed.
let namedOnlyTargets: [any FuzzTarget] = [ProseTarget()]

/// Targets that fail on purpose, to check the fuzzer itself (`--self-test`): never part of a run.
let selfTestTargets: [any FuzzTarget] = [
    SelfTestTarget(name: "selftest-crash", behaviour: .crash),
    SelfTestTarget(name: "selftest-hang", behaviour: .hang),
    SelfTestTarget(name: "selftest-memory", behaviour: .memory),
]
