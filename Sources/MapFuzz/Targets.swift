/// Every target `mapc-fuzz` runs, in order. Add new targets here.
let fuzzTargets: [any FuzzTarget] =
    [
        MappingSourceTarget(),
        RecordLineTarget(),
        FormatRoundTripTarget(),
    ] + WebhookDeliveryTarget.Platform.allCases.map { WebhookDeliveryTarget(platform: $0) }
    + PlatformReplyTarget.Platform.allCases.map { PlatformReplyTarget(platform: $0) }

/// Targets that fail on purpose, to check the fuzzer itself (`--self-test`): never part of a run.
let selfTestTargets: [any FuzzTarget] = [
    SelfTestTarget(name: "selftest-crash", behaviour: .crash),
    SelfTestTarget(name: "selftest-hang", behaviour: .hang),
    SelfTestTarget(name: "selftest-memory", behaviour: .memory),
]
