import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// SplitMix64: the kill plan follows from the seed alone.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One contact of the harness's source data, kept as plain values so the expected destination can
/// be worked out without mapc's mapping code.
struct HarnessContact {
    var id: String
    var email: String?
    var firstname: String
    var lastname: String
    var company: String?
    var stage: String

    var json: JSONValue {
        .object([
            ("hs_object_id", .string(id)), ("email", email.map(JSONValue.string) ?? .null), ("firstname", .string(firstname)),
            ("lastname", .string(lastname)), ("company", company.map(JSONValue.string) ?? .null),
            ("lifecyclestage", .string(stage)), ("createdate", "2024-03-05T10:22:11.000Z"),
            ("lastmodifieddate", "2024-03-06T10:22:11.000Z"),
        ])
    }

    /// `count` contacts, messy in known ways: blank and missing e-mails (skipped), malformed ones
    /// (rejected), padded and upper-case values, missing companies and last names, long first names.
    static func make(count: Int) -> [HarnessContact] {
        let first = ["Ann", "Bo", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "José", "Zoë", "Søren"]
        let last = ["Lee", "O'Brien", "Novak", "Silva", "Tanaka", "Weber", "Kumar", "Dubois", "", "Müller"]
        let stages = ["lead", "marketingqualifiedlead", "subscriber", "customer", ""]
        return (0..<count).map { i in
            var email: String? = "  user\(i).\(["a", "b", "c"][i % 3])@Example.COM "
            if i % 97 == 0 { email = "" }
            if i % 101 == 0 { email = nil }
            if i % 331 == 0 { email = "broken\(i)@" }
            var firstname = first[i % first.count]
            if i % 53 == 0 { firstname = " " + String(repeating: "Maximilian", count: 5) + " " }
            var company: String? = i % 4 == 0 ? "  Company \(i % 50)  " : "Company \(i % 50)"
            if i % 7 == 0 { company = nil }
            if i % 11 == 0 { company = "   " }
            return HarnessContact(
                id: String(100_000 + i), email: email, firstname: firstname, lastname: last[i % last.count], company: company,
                stage: stages[i % stages.count])
        }
    }
}

/// The harness's mapping, written out by hand a second time (independently of `RecordMapper`).
enum ReferenceMapping {
    static let text = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        skip when blank(email)

        HubSpot_Contact_Id__c = hs_object_id
        Company               = null_if_blank(trim(company)) ?? "Unknown"
        Email                 = lower(trim(email))
        FirstName             = truncate(trim(firstname), 40)
        LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
        Status                = match lifecyclestage {
            "marketingqualifiedlead" => "Working - Contacted"
            _                        => "Open - Not Contacted"
        }
        """

    enum Outcome: Equatable {
        case skipped
        case rejected
        case lead([String: String])
    }

    static func trim(_ s: String) -> String { s.trimmingCharacters(in: .whitespaces) }

    static func outcome(_ c: HarnessContact) -> Outcome {
        guard let raw = c.email, !trim(raw).isEmpty else { return .skipped }
        let email = trim(raw).lowercased()
        // The Lead's Email is an e-mail address: a local part, an @, and a dotted domain.
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasSuffix(".") else { return .rejected }
        let company = c.company.map(trim) ?? ""
        let last = trim(c.lastname)
        return .lead([
            "HubSpot_Contact_Id__c": c.id, "Company": company.isEmpty ? "Unknown" : company, "Email": email,
            "FirstName": String(trim(c.firstname).prefix(40)), "LastName": last.isEmpty ? "Unknown" : last,
            "Status": c.stage == "marketingqualifiedlead" ? "Working - Contacted" : "Open - Not Contacted",
        ])
    }
}

/// Where a kill is aimed; each is a condition the harness waits for (polling the emulators' logs and
/// the event store, with a bound), then sends SIGKILL from outside.
enum KillTrigger: CustomStringConvertible {
    /// Once the destination has answered `n` writes of this process.
    case destinationWrites(Int)
    /// Once the source has answered `n` requests of this process.
    case sourceRequests(Int)
    /// Once the store holds `n` more events than when the process started.
    case storeEvents(Int)
    /// A new `sync` killed while its run is `created` (its first source request is slowed down).
    case whileCreated
    /// A `resume` of a run the destination's failures paused, killed while the run is still `paused`.
    case whilePaused
    /// No kill: the process runs to its end (the final resume, or a step of a harness test).
    case none

    var description: String {
        switch self {
        case .destinationWrites(let n): "after \(n) destination write(s)"
        case .sourceRequests(let n): "after \(n) source request(s)"
        case .storeEvents(let n): "after \(n) store event(s)"
        case .whileCreated: "while created"
        case .whilePaused: "while paused"
        case .none: "no kill"
        }
    }
}

/// Where one kill landed, read after the process was dead.
struct KillLanding: CustomStringConvertible {
    var step: Int
    var command: String
    var trigger: KillTrigger
    /// The run's phase in the store.
    var phase: String
    /// The store's last event: type and its page/batch, if any.
    var lastEvent: String
    /// The last request each emulator answered.
    var lastSource: String
    var lastDestination: String
    /// Writes the destination applied during this process that the store does not count as
    /// acknowledged: answers in flight, or acknowledgements staged and not yet committed.
    var appliedUnacknowledged: Int

    var description: String {
        "#\(step) \(command) \(trigger): phase \(phase), last event \(lastEvent), source saw \(lastSource), destination saw \(lastDestination)"
            + (appliedUnacknowledged > 0 ? ", \(appliedUnacknowledged) applied write(s) not acknowledged in the store" : "")
    }
}

/// How a process ended.
enum ProcessEnd: Equatable {
    /// SIGKILL that the harness sent, and no crash marker of the process's own.
    case plannedKill
    case exited(Int32)
    /// Any other signal, a SIGKILL nobody planned, or the process's own crash marker.
    case realCrash(String)
}

/// The outside-kill crash harness: a sync from the HubSpot emulator to the Salesforce emulator,
/// killed from outside at points a seeded generator picks, resumed each time, then checked against
/// the hand-written reference.
final class OutsideKillHarness {
    let records: Int
    let seed: UInt64
    let root: String
    let contacts: [HarnessContact]
    let hubspot: SandboxServer
    let salesforce: SandboxServer
    let env: [String: String]
    let store: EventStore
    var landings: [KillLanding] = []
    var failures: [String] = []
    var log: [String] = []
    /// Extra environment for one step (the harness's own test makes a resume crash for real this way).
    var stepEnvironment: [Int: [String: String]] = [:]
    static let job = "crash"

    init(records: Int, seed: UInt64) throws {
        self.records = records
        self.seed = seed
        let fm = FileManager.default
        root = fm.temporaryDirectory.appendingPathComponent("mapc-outside-kill-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: root + "/samples/hubspot", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/.mapc", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Repo.path("schemas"), toPath: root + "/schemas")
        try fm.copyItem(atPath: Repo.path("ratelimits"), toPath: root + "/ratelimits")
        contacts = HarnessContact.make(count: records)
        try (contacts.map { JSONWriter.compact($0.json) }.joined(separator: "\n") + "\n").write(
            toFile: root + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
        try ReferenceMapping.text.write(toFile: root + "/crash.map", atomically: true, encoding: .utf8)
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "crash.map", "pageSize": 50, "batchSize": 10, "retries": 2, "bulk": {"use": "rest"}}"#
            .write(toFile: root + "/jobs/crash.json", atomically: true, encoding: .utf8)
        let options = SandboxOptions.project(root: URL(fileURLWithPath: root))
        hubspot = try SandboxServer.start(platform: .hubspot, options: options)
        salesforce = try SandboxServer.start(platform: .salesforce, options: options)
        var env = ProcessInfo.processInfo.environment
        env["MAPC_HUBSPOT_URL"] = hubspot.baseURL.absoluteString
        env["MAPC_HUBSPOT_TOKEN"] = hubspot.credential
        env["MAPC_SALESFORCE_URL"] = salesforce.baseURL.absoluteString
        env["MAPC_SALESFORCE_TOKEN"] = salesforce.credential
        env["NO_COLOR"] = "1"
        for name in ["MAPC_RATE_LIMITS", "MAPC_STORE", "MAPC_CRASH_AT", "MAPC_DEBUG_CRASH_RECORD"] { env.removeValue(forKey: name) }
        self.env = env
        // The store exists (migrated) before any mapc process, so that the harness can read it throughout.
        store = try EventStore(path: root + "/.mapc/events.db")
        let (approve, errPath) = try launch(["approve", "crash.map", "--by", "harness"])
        approve.waitUntilExit()
        let err = stderrTail(errPath)
        guard approve.terminationReason == .exit, approve.terminationStatus == 0 else {
            stop()
            throw Failure("approve failed: \(err)")
        }
    }

    func stop() {
        hubspot.stop()
        salesforce.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func mapcBinary() throws -> String {
        var candidates: [String] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent().appendingPathComponent("mapc").path) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path)
        candidates.append(Repo.path(".build/debug/mapc"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("the mapc executable is not built (looked in \(candidates)); run 'swift build --build-tests'")
        }
        return found
    }

    /// Starts mapc with stderr going to a file (read once the process is gone).
    func launch(_ args: [String], extra: [String: String] = [:]) throws -> (Process, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.mapcBinary())
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        p.environment = env.merging(extra) { $1 }
        let errPath = root + "/.mapc/stderr-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, errPath)
    }

    func stderrTail(_ path: String) -> String {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        try? FileManager.default.removeItem(atPath: path)
        return String(decoding: data.suffix(1500), as: UTF8.self)
    }

    // MARK: What the harness reads

    var destinationWrites: Int { salesforce.requestLog.filter { $0.method != "GET" && (200..<300).contains($0.status) }.count }
    var sourceRequests: Int { hubspot.requestLog.filter { !$0.path.hasPrefix("/_sandbox") }.count }
    func storeEventCount() throws -> Int {
        try store.locked { try store.db.prepare("SELECT count(*) FROM events").query([]) { Int($0.int(0)) }.first ?? 0 }
    }
    func ackedBatches() throws -> Int { try store.events(types: ["batch_acked"], payloads: false).count }
    func latestRun() throws -> RunSummary? { try store.latestRun(job: Self.job) }
    func lastEvent() throws -> String {
        let rows = try store.locked {
            try store.db.prepare("SELECT type, payload FROM events ORDER BY run DESC, seq DESC LIMIT 1").query([]) { s in
                (s.text(0) ?? "", (try? JSONParser.parse(s.text(1) ?? "null")) ?? .null)
            }
        }
        guard let (type, payload) = rows.first else { return "none" }
        var text = type
        if type == "state", let to = payload["to"]?.stringValue { text += " → \(to)" }
        if let page = payload["page"]?.intValue { text += " page \(page)" }
        if let batch = payload["batch"]?.intValue { text += " batch \(batch)" }
        return text
    }
    func describe(_ entry: RequestLogEntry?) -> String {
        guard let e = entry else { return "nothing" }
        return "\(e.method) \(e.path) → \(e.status)"
    }
    /// Files the process's own fatal-signal handler left in `.mapc/crash/`.
    func crashMarkers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/.mapc/crash")) ?? []).filter { !$0.hasSuffix(".tmp") }
    }
    func leaseHeld(by pid: Int32) throws -> Bool {
        guard let run = try latestRun() else { return false }
        return try store.lease(run: run.id)?.process.pid == pid
    }

    /// Polls `condition` until it holds or `process` has ended, within `seconds`; true when it held.
    func waitFor(_ process: Process, seconds: Double = 120, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if try condition() { return true }
            if !process.isRunning { return false }
            usleep(500)
        }
        return false
    }

    /// Tells a planned kill from a real crash: the exit signal, plus the process's own crash marker.
    func classify(_ p: Process, killed: Bool) -> ProcessEnd {
        let markers = crashMarkers()
        if p.terminationReason == .uncaughtSignal {
            let signal = p.terminationStatus
            if signal == SIGKILL && killed && markers.isEmpty { return .plannedKill }
            var why = "signal \(signal)"
            if signal == SIGKILL && !killed { why += " that the harness did not send" }
            if !markers.isEmpty { why += ", crash marker \(markers.joined(separator: ", "))" }
            return .realCrash(why)
        }
        if !markers.isEmpty { return .realCrash("exit \(p.terminationStatus) with crash marker \(markers.joined(separator: ", "))") }
        return .exited(p.terminationStatus)
    }

    // MARK: The run

    /// One process: started, killed when `trigger` holds (unless it ends first), classified, and its
    /// landing recorded. Returns how it ended.
    func step(_ n: Int, _ command: String, _ trigger: KillTrigger) throws -> ProcessEnd {
        let writes0 = destinationWrites
        let gap0 = writes0 - (try ackedBatches())
        let source0 = sourceRequests
        let events0 = try storeEventCount()
        switch trigger {
        case .whileCreated:
            // The source holds the new run's first request (its count), so the run stays `created`
            // until the kill. The hold ends when the step switches the faults off again (the defer
            // below), so it does not expire under load; the ten minutes are only a safety net.
            var hold = FaultSwitches()
            hold.hangRate = 1
            hold.hangMilliseconds = 600_000
            hubspot.setFaults(hold)
        case .whilePaused:
            // The platforms answer slowly: the resume takes the run's lease after its first request
            // and stays `paused` while it waits on the next.
            var slow = FaultSwitches()
            slow.latencyMilliseconds = 4000
            hubspot.setFaults(slow)
            salesforce.setFaults(slow)
        default: break
        }
        defer {
            hubspot.setFaults(FaultSwitches())
            salesforce.setFaults(FaultSwitches())
        }
        let (p, errPath) = try launch([command, Self.job], extra: stepEnvironment[n] ?? [:])
        let pid = p.processIdentifier
        let reached: Bool
        switch trigger {
        case .destinationWrites(let k): reached = waitFor(p) { destinationWrites >= writes0 + k }
        case .sourceRequests(let k): reached = waitFor(p) { sourceRequests >= source0 + k }
        case .storeEvents(let k): reached = try waitFor(p) { try storeEventCount() >= events0 + k }
        case .whileCreated: reached = try waitFor(p) { try leaseHeld(by: pid) && latestRun()?.state.phase == .created }
        case .whilePaused:
            // The window between the resume taking the lease and leaving `paused` can be a few
            // milliseconds when nothing was in doubt; a loaded machine may poll past it. Then the
            // process is killed where it got to (a planned kill all the same) and `run` pauses the
            // run again for another try; only repeated misses are a failure.
            var missed = false
            reached = try waitFor(p) {
                let phase = try latestRun()?.state.phase
                if try leaseHeld(by: pid) && phase == .paused { return true }
                if let phase, phase != .paused && phase != .created { missed = true }
                return missed
            }
            if missed {
                pausedMisses += 1
                log.append("step \(n) (resume, while paused): the run left paused before a poll saw it; trying again")
                if pausedMisses > 3 {
                    failures.append("step \(n) (\(command), \(trigger)): the run was never seen while paused in four tries")
                }
            }
        case .none: reached = false
        }
        var killed = false
        if reached, p.isRunning {
            kill(pid, SIGKILL)
            killed = true
        }
        switch trigger {
        case .whileCreated, .whilePaused:
            if !reached {
                failures.append("step \(n) (\(command), \(trigger)): the run was never seen \(trigger) while the process held it")
            }
        default: break
        }
        if case .none = trigger {
        } else if !reached && p.isRunning {
            // The condition never held within the bound: stop the process, and say so.
            kill(pid, SIGKILL)
            p.waitUntilExit()
            failures.append("step \(n) (\(command), \(trigger)): the kill condition did not hold within the bound")
            return .realCrash("not killed as planned")
        }
        p.waitUntilExit()
        let end = classify(p, killed: killed)
        let err = stderrTail(errPath)
        if end == .plannedKill {
            let acked = try ackedBatches()
            let landing = KillLanding(
                step: n, command: command, trigger: trigger, phase: try latestRun()?.state.phase.rawValue ?? "no run",
                lastEvent: try lastEvent(), lastSource: describe(hubspot.requestLog.last),
                lastDestination: describe(salesforce.requestLog.last),
                appliedUnacknowledged: max(0, (destinationWrites - acked) - gap0))
            landings.append(landing)
            log.append(landing.description)
        } else if case .realCrash(let why) = end {
            failures.append("step \(n) (\(command), \(trigger)): mapc crashed for real (\(why)): \(err)")
        } else {
            log.append("#\(n) \(command) \(trigger): exited \(p.terminationStatus)")
        }
        if case .exited(let status) = end, status != 0, !pausing {
            failures.append("step \(n) (\(command), \(trigger)): mapc exited \(status): \(err)")
        }
        return end
    }
    /// Set while a step is meant to end with the run paused (exit status 1).
    var pausing = false
    /// How many `while paused` kills found the run already past `paused` (see ``step(_:_:_:)``).
    var pausedMisses = 0

    /// Makes the destination fail every request so that a resume pauses the run.
    func pauseByDestinationFailures(_ n: Int) throws -> Bool {
        var failing = FaultSwitches()
        failing.errorRate = 1
        failing.errorStatus = 503
        salesforce.setFaults(failing)
        defer { salesforce.setFaults(FaultSwitches()) }
        pausing = true
        defer { pausing = false }
        let end = try step(n, "resume", .none)
        guard end == .exited(1), try latestRun()?.state.phase == .paused else {
            failures.append("step \(n): a resume against a failing destination did not pause the run (\(end))")
            return false
        }
        return true
    }

    /// Kills until `kills` planned kills landed, then resumes to the end. Stops at the first real crash.
    func run(kills target: Int, finalStep: Bool = true) throws {
        var rng = SeededGenerator(state: seed)
        // Where in the plan the two runs in `paused` come (the run starts in `created`).
        let pausedAt: Set<Int> =
            target >= 10 ? [Int.random(in: 5..<(target / 2), using: &rng), Int.random(in: (target / 2)..<(target - 2), using: &rng)] : []
        var n = 0
        var kills = 0
        var started = false
        var completed = false
        var retryPause = false
        while kills < target && failures.isEmpty {
            n += 1
            let command: String
            let trigger: KillTrigger
            if !started {
                (command, trigger) = ("sync", .whileCreated)
            } else if (pausedAt.contains(kills) || retryPause) && !(landings.last.map { $0.phase == "paused" } ?? false) {
                retryPause = false
                guard try pauseByDestinationFailures(n) else { break }
                n += 1
                (command, trigger) = ("resume", .whilePaused)
            } else {
                command = "resume"
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<40: trigger = .destinationWrites(Int.random(in: 1...4, using: &rng))
                case 40..<60: trigger = .sourceRequests(Int.random(in: 1...3, using: &rng))
                default: trigger = .storeEvents(Int.random(in: 1...14, using: &rng))
                }
            }
            started = true
            let misses = pausedMisses
            let end = try step(n, command, trigger)
            // A `while paused` kill that landed past `paused`: pause the run again next step.
            retryPause = pausedMisses > misses
            switch end {
            case .plannedKill: kills += 1
            case .exited(0):
                completed = true
            case .exited, .realCrash: break
            }
            if completed { break }
        }
        guard failures.isEmpty, finalStep, !completed else { return }
        n += 1
        let end = try step(n, "resume", .none)
        if end != .exited(0) { failures.append("the final resume ended \(end)") }
    }

    // MARK: The checks

    /// Every mapped record once at the destination with the reference's values; the latest run's
    /// events account for every record.
    func check() throws {
        var expected: [String: [String: String]] = [:]
        var skipped = 0
        var rejected = 0
        for c in contacts {
            switch ReferenceMapping.outcome(c) {
            case .skipped: skipped += 1
            case .rejected: rejected += 1
            case .lead(let fields): expected[c.id] = fields
            }
        }
        var components = URLComponents(url: salesforce.baseURL.appendingPathComponent("_sandbox/records"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c")]
        let body = try JSONParser.parse(String(decoding: try Data(contentsOf: components.url!), as: UTF8.self))
        if body["duplicates"]?.objectValue?.isEmpty != true {
            failures.append("duplicated at the destination: \(JSONWriter.compact(body["duplicates"] ?? .null))")
        }
        var seen = Set<String>()
        var wrong: [String] = []
        for r in body["records"]?.arrayValue ?? [] {
            guard let fields = r["fields"], let key = fields["HubSpot_Contact_Id__c"]?.stringValue else { continue }
            seen.insert(key)
            guard let want = expected[key] else {
                wrong.append("\(key) should not be at the destination")
                continue
            }
            for (name, value) in want where fields[name]?.stringValue != value {
                wrong.append("\(key).\(name) = \(JSONWriter.compact(fields[name] ?? .null)), expected \(value)")
            }
        }
        let missing = Set(expected.keys).subtracting(seen)
        if !missing.isEmpty { failures.append("lost: \(missing.count) records, e.g. \(missing.sorted().prefix(5))") }
        if !wrong.isEmpty { failures.append("\(wrong.count) wrong values, e.g. \(wrong.prefix(5))") }
        guard let run = try latestRun() else {
            failures.append("no run in the store")
            return
        }
        if run.state.phase != .completed { failures.append("the run ended \(run.state.phase.rawValue)") }
        let counts = try store.statusCounts(job: Self.job, run: run.id)
        let sent = (counts["created"] ?? 0) + (counts["updated"] ?? 0) + (counts["duplicate"] ?? 0)
        if sent != expected.count || counts["skipped"] != skipped || counts["rejected"] != rejected || counts["pending"] != nil {
            failures.append(
                "the store counts \(counts.sorted { $0.key < $1.key }), expected \(expected.count) sent, \(skipped) skipped, \(rejected) rejected"
            )
        }
    }
}
