/// Every target `mapc-fuzz` runs, in order. Add new targets here.
let fuzzTargets: [any FuzzTarget] =
    [
        MappingSourceTarget(),
        RecordLineTarget(),
        FormatRoundTripTarget(),
    ] + WebhookDeliveryTarget.Platform.allCases.map { WebhookDeliveryTarget(platform: $0) }
    + PlatformReplyTarget.Platform.allCases.map { PlatformReplyTarget(platform: $0) } + [ProseTarget()]

/// Targets run only when named (`--target NAME`): a target that still finds failures nobody has fixed waits
/// here, so that a default run (and `make test`'s short one) stays green. None at present.
let namedOnlyTargets: [any FuzzTarget] = []

/// Targets that fail on purpose, to check the fuzzer itself (`--self-test`): never part of a run.
let selfTestTargets: [any FuzzTarget] = [
    SelfTestTarget(name: "selftest-crash", behaviour: .crash),
    SelfTestTarget(name: "selftest-hang", behaviour: .hang),
    SelfTestTarget(name: "selftest-memory", behaviour: .memory),
]
