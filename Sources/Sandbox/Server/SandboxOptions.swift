import Foundation

/// How to start an emulator: where to listen, which files to read, credentials, faults, seed, clock.
public struct SandboxOptions: Sendable {
    /// Numeric address to bind; keep loopback unless you mean to expose the sandbox.
    public var host: String
    /// Port to bind; 0 picks a free one (see ``SandboxServer/baseURL``).
    public var port: UInt16
    /// Folder holding `<platform>/<object>.json` schema files; `nil` accepts any field.
    public var schemasDirectory: URL?
    /// Folder holding `<platform>/<object>.jsonl` seed records; `nil` starts empty. Only HubSpot,
    /// Salesforce and Mailchimp are seeded: Segment and GA4 are write-only APIs and always start empty.
    public var samplesDirectory: URL?
    /// Folder holding `<platform>.json` rate-limit files; `nil` (and no ``rateLimits``) means no limits.
    public var rateLimitsDirectory: URL?
    /// Limits to enforce instead of the file in ``rateLimitsDirectory`` (tests shrink limits this way).
    public var rateLimits: RateLimitTable?
    /// The accepted token / key / write key / api secret; `nil` uses ``SandboxPlatform/defaultCredential``.
    public var credential: String?
    /// Faults active from the start (change them later with ``SandboxServer/setFaults(_:)``).
    public var faults: FaultSwitches
    /// Seed of the fault generator: the same seed gives the same fault sequence.
    public var seed: UInt64
    /// Source of "now" for rate-limit windows and timestamps.
    public var clock: @Sendable () -> Date
    /// Largest body the HTTP layer reads at all (plain 413 beyond); platform limits are enforced below it.
    public var maxBodyBytes: Int
    /// Largest size a `gzip`/`deflate` request body may inflate to; inflating stops there and the
    /// request gets 413 in the platform's error shape (a decompression bomb costs at most this much).
    public var maxInflatedBodyBytes: Int
    /// The Mailchimp audience (list) id that exists in the sandbox.
    public var mailchimpListID: String
    /// Faults and pacing of the bulk APIs from the start (see ``BulkFaults``).
    public var bulkFaults = BulkFaults()

    /// Loopback on a free port, no files, no faults, seed 1, the system clock.
    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 0,
        schemasDirectory: URL? = nil,
        samplesDirectory: URL? = nil,
        rateLimitsDirectory: URL? = nil,
        rateLimits: RateLimitTable? = nil,
        credential: String? = nil,
        faults: FaultSwitches = FaultSwitches(),
        seed: UInt64 = 1,
        clock: @escaping @Sendable () -> Date = { Date() },
        maxBodyBytes: Int = 64 * 1024 * 1024,
        maxInflatedBodyBytes: Int = 16 * 1024 * 1024,
        mailchimpListID: String = "sandboxlist"
    ) {
        self.host = host
        self.port = port
        self.schemasDirectory = schemasDirectory
        self.samplesDirectory = samplesDirectory
        self.rateLimitsDirectory = rateLimitsDirectory
        self.rateLimits = rateLimits
        self.credential = credential
        self.faults = faults
        self.seed = seed
        self.clock = clock
        self.maxBodyBytes = maxBodyBytes
        self.maxInflatedBodyBytes = maxInflatedBodyBytes
        self.mailchimpListID = mailchimpListID
    }

    /// Options reading `schemas/`, `samples/` and `ratelimits/` under a project root.
    public static func project(root: URL) -> SandboxOptions {
        SandboxOptions(
            schemasDirectory: root.appendingPathComponent("schemas", isDirectory: true),
            samplesDirectory: root.appendingPathComponent("samples", isDirectory: true),
            rateLimitsDirectory: root.appendingPathComponent("ratelimits", isDirectory: true))
    }
}
