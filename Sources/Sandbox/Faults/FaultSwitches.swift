import Foundation

/// Fault-injection settings of an emulator, set in ``SandboxOptions`` or at run time through
/// `POST /_sandbox/faults` (a JSON object with any subset of these keys).
///
/// Faults apply to platform endpoints only, never to `/_sandbox/*`, and in this order: fail the
/// next N requests, refuse the next N as rate-limited, drop, rate-limit storm, random 5xx, hang, then
/// added latency.
public struct FaultSwitches: Sendable, Codable, Equatable {
    /// Milliseconds added to every request before it is handled.
    public var latencyMilliseconds: Int
    /// Probability (0...1) that a request gets a 5xx reply instead of being handled.
    public var errorRate: Double
    /// Status used for random errors and for ``failNext``: 500, 502, 503 or 504 are typical.
    public var errorStatus: Int
    /// Probability (0...1) that a request hangs for ``hangMilliseconds`` before being handled.
    public var hangRate: Double
    /// How long a hanging request waits at most: it ends sooner when hangs are switched off
    /// (`hangRate` back to 0) or the sandbox stops.
    public var hangMilliseconds: Int
    /// Probability (0...1) that the connection is closed without any reply.
    public var dropRate: Double
    /// When true every request is refused as rate-limited, with the platform's signal and headers.
    public var rateLimitStorm: Bool
    /// The next this-many requests fail with ``errorStatus``; counts down to 0.
    public var failNext: Int
    /// Requests to let through before ``failNext`` starts counting (a failure "mid-way"); counts down to 0.
    public var failAfter: Int
    /// The next this-many requests are refused with the platform's rate-limit signal (HubSpot and
    /// Segment 429, Salesforce 403 `REQUEST_LIMIT_EXCEEDED`, ...); counts down to 0. Lets a client's own
    /// retry be tested without waiting for a real window to fill.
    public var rateLimitNext: Int
    /// When above 0, injected rate-limit refusals (``rateLimitNext``, ``rateLimitStorm``) carry
    /// `Retry-After` with this many seconds, as platforms that name their wait do: a client's long,
    /// cancellable wait can be provoked at will.
    public var retryAfterSeconds: Int
    /// A person editing a record while a client reads: right after the next platform read (a `GET`
    /// answered 200), record `id` of `object` takes these field values, stamped with the sandbox
    /// clock; then the switch clears. Set it on two emulators to edit the same person on both sides
    /// during a two-way run.
    public var editAfterRead: RecordEdit?

    /// One record's new field values (text; dotted names as stored, e.g. `merge_fields.FNAME`).
    public struct RecordEdit: Sendable, Codable, Equatable {
        public var object: String
        public var id: String
        public var fields: [String: String]

        public init(object: String, id: String, fields: [String: String]) {
            self.object = object
            self.id = id
            self.fields = fields
        }
    }

    /// No faults.
    public init(
        latencyMilliseconds: Int = 0,
        errorRate: Double = 0,
        errorStatus: Int = 503,
        hangRate: Double = 0,
        hangMilliseconds: Int = 30_000,
        dropRate: Double = 0,
        rateLimitStorm: Bool = false,
        failNext: Int = 0,
        failAfter: Int = 0,
        rateLimitNext: Int = 0,
        editAfterRead: RecordEdit? = nil,
        retryAfterSeconds: Int = 0
    ) {
        self.latencyMilliseconds = latencyMilliseconds
        self.errorRate = errorRate
        self.errorStatus = errorStatus
        self.hangRate = hangRate
        self.hangMilliseconds = hangMilliseconds
        self.dropRate = dropRate
        self.rateLimitStorm = rateLimitStorm
        self.failNext = failNext
        self.failAfter = failAfter
        self.rateLimitNext = rateLimitNext
        self.editAfterRead = editAfterRead
        self.retryAfterSeconds = retryAfterSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case latencyMilliseconds, errorRate, errorStatus, hangRate, hangMilliseconds, dropRate, rateLimitStorm,
            failNext, failAfter, rateLimitNext, editAfterRead, retryAfterSeconds
    }

    /// Decodes a partial object: missing keys keep their "no fault" defaults.
    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, base: FaultSwitches())
    }

    /// Decodes a partial object over `base`: keys present replace `base`'s values.
    init(from decoder: any Decoder, base: FaultSwitches) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        latencyMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? base.latencyMilliseconds
        errorRate = try container.decodeIfPresent(Double.self, forKey: .errorRate) ?? base.errorRate
        errorStatus = try container.decodeIfPresent(Int.self, forKey: .errorStatus) ?? base.errorStatus
        hangRate = try container.decodeIfPresent(Double.self, forKey: .hangRate) ?? base.hangRate
        hangMilliseconds = try container.decodeIfPresent(Int.self, forKey: .hangMilliseconds) ?? base.hangMilliseconds
        dropRate = try container.decodeIfPresent(Double.self, forKey: .dropRate) ?? base.dropRate
        rateLimitStorm = try container.decodeIfPresent(Bool.self, forKey: .rateLimitStorm) ?? base.rateLimitStorm
        failNext = try container.decodeIfPresent(Int.self, forKey: .failNext) ?? base.failNext
        failAfter = try container.decodeIfPresent(Int.self, forKey: .failAfter) ?? base.failAfter
        rateLimitNext = try container.decodeIfPresent(Int.self, forKey: .rateLimitNext) ?? base.rateLimitNext
        editAfterRead = try container.decodeIfPresent(RecordEdit.self, forKey: .editAfterRead) ?? base.editAfterRead
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? base.retryAfterSeconds
    }
}

/// Applies a JSON patch object on top of existing switches.
struct FaultPatch: Decodable {
    let switches: FaultSwitches

    init(from decoder: any Decoder) throws {
        let base = decoder.userInfo[FaultPatch.baseKey] as? FaultSwitches ?? FaultSwitches()
        switches = try FaultSwitches(from: decoder, base: base)
    }

    static let baseKey = CodingUserInfoKey(rawValue: "mapc.faults.base")!

    /// `base` with the keys present in `json` replaced.
    static func apply(_ json: Data, over base: FaultSwitches) throws -> FaultSwitches {
        let decoder = JSONDecoder()
        decoder.userInfo[baseKey] = base
        return try decoder.decode(FaultPatch.self, from: json).switches
    }
}
