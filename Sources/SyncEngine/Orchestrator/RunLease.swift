import Foundation

/// One process, told apart from a later process that got the same id: its pid, its host, and when
/// it started (on Linux the start time from `/proc/<pid>/stat`, in clock ticks since boot).
public struct ProcessIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The process id.
    public var pid: Int32
    /// The host name.
    public var host: String
    /// When the process started, as the system counts it (empty when unknown).
    public var start: String

    /// Creates an identity.
    public init(pid: Int32, host: String, start: String) {
        self.pid = pid
        self.host = host
        self.start = start
    }

    /// This process.
    public static let current = ProcessIdentity(pid: getpid(), host: hostName(), start: startTime(of: getpid()) ?? "")

    public var description: String { "process \(pid) on \(host)" }

    /// Whether the process `identity` names still runs on this host (pid alive, same start time).
    public static func isAlive(_ identity: ProcessIdentity) -> Bool {
        guard identity.pid > 0 else { return false }
        #if os(Linux)
            guard let start = startTime(of: identity.pid) else { return false }
            return identity.start.isEmpty || start == identity.start
        #else
            return kill(identity.pid, 0) == 0 || errno == EPERM
        #endif
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Field 22 of `/proc/<pid>/stat` (the process's start in clock ticks since boot), or nil.
    static func startTime(of pid: Int32) -> String? {
        #if os(Linux)
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            // The command name (field 2) is in parentheses and may hold spaces: count after its end.
            guard let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // Fields after the name start at field 3, so field 22 is the 20th.
            return fields.count > 19 ? String(fields[19]) : nil
        #else
            return nil
        #endif
    }
}

/// Which process runs a run, since when, and its last sign of life.
public struct RunLease: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// Its job.
    public var job: String
    /// The process holding it.
    public var process: ProcessIdentity
    /// When the process took it (UTC, ISO 8601).
    public var startedAt: String
    /// The last heartbeat, in seconds since 1970.
    public var heartbeat: Double
}

/// Whether a run in a running state still has its process: a pure judgement over the lease.
public enum LeaseVerdict: Sendable, Hashable {
    /// Its process is alive (on this host), or its heartbeat is recent (another host).
    case alive(String)
    /// Nobody runs it any more; the reason says how we know.
    case orphaned(String)

    /// Judges `lease` (nil: the run predates leases, or its holder never wrote one) for a process
    /// `current` on `now` (seconds since 1970): on this host the holder's pid and start time decide;
    /// from another host only a heartbeat older than `timeout` seconds proves it dead.
    public static func judge(
        _ lease: RunLease?, current: ProcessIdentity, now: Double, timeout: Double, isAlive: (ProcessIdentity) -> Bool
    ) -> LeaseVerdict {
        guard let lease else {
            return .orphaned("no process holds it (the run has no lease)")
        }
        let holder = lease.process
        let quiet = Int((now - lease.heartbeat).rounded())
        if holder.host == current.host {
            if holder.pid == current.pid && holder.start == current.start {
                return .orphaned("this process holds its lease but is not running it")
            }
            if isAlive(holder) {
                return .alive("\(holder) is still running it (last heartbeat \(quiet) s ago)")
            }
            return .orphaned("\(holder), which ran it, has ended (last heartbeat \(quiet) s ago)")
        }
        if now - lease.heartbeat <= timeout {
            return .alive("\(holder) holds it (last heartbeat \(quiet) s ago)")
        }
        return .orphaned("\(holder) held it but its last heartbeat was \(quiet) s ago")
    }
}

/// Keeps a run's lease alive: a heartbeat every `interval` seconds on a thread of its own, until
/// ``stop()``.
final class LeaseKeeper: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    private let lock = NSLock()
    private var stopped = false

    /// Starts beating for `run` of `store`.
    init(store: EventStore, run: Int, process: ProcessIdentity, interval: Double) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "mapc.sync.lease"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler {
            // A failed heartbeat only makes the lease look older; the run's own writes report store failures.
            try? store.heartbeat(run: run, process: process, now: Date().timeIntervalSince1970)
        }
        timer.resume()
    }

    /// Stops beating (idempotent).
    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            timer.cancel()
        }
    }

    deinit { stop() }
}
