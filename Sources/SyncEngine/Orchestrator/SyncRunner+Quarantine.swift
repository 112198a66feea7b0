import Crypto
import Foundation
import MapDSL

/// Poison records: a record that makes the mapper die (a trap, a fault, a stack overflow) would
/// kill every later run of its job at the same page. While a run maps records, a fatal-signal
/// handler knows which record each mapping thread is on; when one dies it writes that record to
/// a marker file next to the event store (`crash/<job>.json`) before the process ends. The next
/// `sync`, `resume` or `retry` of the job dead-letters that record (code Q0001, "crashed the
/// mapper"), records it as an event, removes the marker, and the run goes on without it.
extension SyncRunner {
    /// Where crash markers of the store at `storePath` live: `<store's directory>/crash`; for a
    /// store on a PostgreSQL server, on this machine under the working directory (the project
    /// folder), `.mapc/crash` (the signal handler can only write a file), so the next `sync`,
    /// `resume`, `retry` or `mapc worker` turn run from there dead-letters the record in the shared
    /// store; nil for a store in memory.
    static func crashDirectory(storePath: String) -> String? {
        guard !storePath.isEmpty, storePath != ":memory:", !storePath.hasPrefix("file::memory:") else { return nil }
        if PostgresURL.isPostgres(storePath) { return FileManager.default.currentDirectoryPath + "/.mapc/crash" }
        let dir = (storePath as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "." : dir) + "/crash"
    }

    /// The marker file of job `job` of the store at `storePath` (nil: none): `<job>.json` in the
    /// crash directory, the job name made safe for a file name; for a PostgreSQL store prefixed by
    /// `pg-<hash of the URL without its password>-`, so stores on servers never share a marker.
    static func crashMarkerPath(storePath: String, job: String) -> String? {
        guard let directory = crashDirectory(storePath: storePath) else { return nil }
        let safe = String(
            job.unicodeScalars.map { s -> Character in
                s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_") ? Character(s) : "_"
            })
        let store = PostgresURL.isPostgres(storePath) ? "pg-" + SHA256.hex(PostgresURL.redacting(storePath)).prefix(16) + "-" : ""
        return directory + "/" + store + String(safe.prefix(200)) + ".json"
    }

    /// Arms the crash handler for this job's run, leaving any marker for the next sync or resume.
    func armCrashGuard() {
        guard let path = Self.crashMarkerPath(storePath: storeRef.path, job: jobRef.name) else { return }
        MapperCrashGuard.arm(markerPath: path, job: jobRef.name)
    }

    /// Arms the crash handler for this job's run and dead-letters the record named by a marker an
    /// earlier run left, in run `run` (so the run skips it); the number of records quarantined.
    func quarantineCrashedRecords(run: Int, at timestamp: String) throws -> Int {
        guard let path = Self.crashMarkerPath(storePath: storeRef.path, job: jobRef.name) else { return 0 }
        MapperCrashGuard.arm(markerPath: path, job: jobRef.name)
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        guard let marker = try? JSONParser.parse(Array(data)), let key = marker["record"]?.stringValue else {
            // Not a marker this build wrote: it names no record, so it cannot be acted on.
            try? FileManager.default.removeItem(atPath: path)
            return 0
        }
        let signal = marker["signal"]?.intValue ?? 0
        let page = marker["page"]?.intValue
        var reason = "crashed the mapper (\(MapperCrashGuard.signalName(signal))) in an earlier run"
        if let page, let index = marker["index"]?.intValue, index >= 0 {
            reason += ", at record \(index + 1) of page \(page)"
        } else if let page {
            reason += ", on page \(page)"
        }
        reason += "; quarantined so that the job can go on"
        var state =
            try storeRef.record(job: jobRef.name, anyKey: key)
            ?? RecordState(key: key, run: run, status: "rejected", mappingVersion: versionRef)
        state.run = run
        state.status = "rejected"
        state.mappingVersion = versionRef
        state.errorCode = RecordErrorCode.mapperCrashed.rawValue
        state.error = reason
        state.field = nil
        var payload = state.payload?.objectValue ?? []
        payload.removeAll { $0.0 == "stage" || $0.0 == "quarantined" }
        payload.append(("stage", "mapping"))
        payload.append(("quarantined", .object([("signal", .int(signal)), ("page", page.map(JSONValue.int) ?? .null)])))
        state.payload = .object(payload)
        let event: JSONValue = .object([
            ("stage", "mapping"), ("code", .string(RecordErrorCode.mapperCrashed.rawValue)), ("message", .string(reason)),
            ("field", .null),
        ])
        try storeRef.commit(
            run: run, job: jobRef.name,
            events: [
                ("record_quarantined", .object([("key", .string(key)), ("signal", .int(signal)), ("message", .string(reason))]))
            ],
            recordEvents: [(key, "rejected", event)], updates: [RecordUpdate(state: state, acknowledged: false)], at: timestamp)
        try? FileManager.default.removeItem(atPath: path)
        return 1
    }
}

/// The fatal-signal handler that names the record a mapper died on.
///
/// Everything the handler touches is allocated when the guard is first armed: per mapper a slot
/// with the record's id, page and position and the job it maps for (set before each record is
/// mapped, cleared after), and per job (several may sync at once in `mapc serve`) the marker's
/// path and the start of its text. On SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE or SIGABRT (on an
/// alternate stack, so that a stack overflow is caught too) the handler finds the slot of the
/// thread that died, writes its job's marker with `open`/`write`/`rename` only
/// (async-signal-safe), puts back the handler that was there before (the runtime's backtracer, or
/// the default action) and raises the signal again, so the process dies as it would have.
enum MapperCrashGuard {
    static let slotCount = 32
    static let jobCount = 16
    static let idCapacity = 4096
    static let pathCapacity = 4096
    static let prefixCapacity = 1024
    static let scratchCapacity = 16384
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    /// One mapper's record.
    struct Slot {
        /// The thread mapping the record (`pthread_self`); 0 when the slot is idle.
        var thread: UInt
        /// The job's entry (see ``Memory``).
        var job: Int
        var idLength: Int
        var page: Int
        var index: Int
    }

    /// Memory the handler reads, made once.
    struct Memory {
        var slots: UnsafeMutablePointer<Slot>
        var ids: UnsafeMutablePointer<UInt8>
        /// Per job: the NUL-terminated marker path and its temporary sibling, and the marker's
        /// start `{"job":"…","record":"` with its length.
        var paths: UnsafeMutablePointer<CChar>
        var temporaries: UnsafeMutablePointer<CChar>
        var prefixes: UnsafeMutablePointer<UInt8>
        var prefixLengths: UnsafeMutablePointer<Int>
        /// Where the handler builds the marker's text.
        var scratch: UnsafeMutablePointer<UInt8>
        /// The actions replaced, by signal number.
        var previous: UnsafeMutablePointer<sigaction>
    }

    nonisolated(unsafe) static var memory: Memory?
    nonisolated(unsafe) static var installed = false
    /// Guarded by `lock`: which slots are taken, and each armed job's entry.
    nonisolated(unsafe) static var taken = [Bool](repeating: false, count: slotCount)
    nonisolated(unsafe) static var jobs: [String: Int] = [:]
    static let lock = NSLock()

    private static func makeMemory() -> Memory {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(thread: 0, job: -1, idLength: 0, page: 0, index: 0), count: slotCount)
        let m = Memory(
            slots: slots, ids: .allocate(capacity: slotCount * idCapacity), paths: .allocate(capacity: jobCount * pathCapacity),
            temporaries: .allocate(capacity: jobCount * pathCapacity), prefixes: .allocate(capacity: jobCount * prefixCapacity),
            prefixLengths: .allocate(capacity: jobCount), scratch: .allocate(capacity: scratchCapacity), previous: .allocate(capacity: 65))
        m.prefixLengths.initialize(repeating: 0, count: jobCount)
        m.previous.initialize(repeating: sigaction(), count: 65)
        return m
    }

    /// Makes the handler write markers of `job` to `markerPath` (creating its directory).
    static func arm(markerPath: String, job: String) {
        lock.lock()
        defer { lock.unlock() }
        try? FileManager.default.createDirectory(
            atPath: (markerPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let m = memory ?? makeMemory()
        // A job keeps its entry; past `jobCount` jobs in one process the oldest entry is reused.
        let entry = jobs[job] ?? jobs.count % jobCount
        if jobs[job] == nil {
            jobs = jobs.filter { $0.value != entry }
            jobs[job] = entry
        }
        let pathBytes = Array(markerPath.utf8.prefix(pathCapacity - 8))
        let temporaryBytes = pathBytes + Array(".tmp".utf8)
        let path = m.paths + entry * pathCapacity
        let temporary = m.temporaries + entry * pathCapacity
        for (i, b) in pathBytes.enumerated() { path[i] = CChar(bitPattern: b) }
        path[pathBytes.count] = 0
        for (i, b) in temporaryBytes.enumerated() { temporary[i] = CChar(bitPattern: b) }
        temporary[temporaryBytes.count] = 0
        var prefix: [UInt8] = []
        JSONWriter.appendRaw("{\"job\":", to: &prefix)
        JSONWriter.appendString(String(job.prefix(200)), to: &prefix)
        JSONWriter.appendRaw(",\"record\":\"", to: &prefix)
        let start = m.prefixes + entry * prefixCapacity
        for (i, b) in prefix.prefix(prefixCapacity).enumerated() { start[i] = b }
        m.prefixLengths[entry] = min(prefix.count, prefixCapacity)
        memory = m
        guard !installed else { return }
        installed = true
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = mapperCrashHandler
            action.sa_flags = Int32(SA_ONSTACK)
            sigemptyset(&action.sa_mask)
            _ = sigaction(signal, &action, m.previous + Int(signal))
        }
    }

    /// The entry of `job` once it is armed.
    static func entry(of job: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return jobs[job]
    }

    /// A slot for one mapper (nil while ``slotCount`` mappers hold one: those are unguarded).
    static func takeSlot() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard let free = taken.firstIndex(of: false) else { return nil }
        taken[free] = true
        return free
    }

    /// Gives a mapper's slot back.
    static func releaseSlot(_ slot: Int) {
        lock.lock()
        defer { lock.unlock() }
        memory?.slots[slot].thread = 0
        taken[slot] = false
    }

    /// Notes that this thread starts mapping record `id` (record `index` of page `page`) for the
    /// job of entry `job`.
    @inline(__always) static func begin(slot: Int, job: Int, id: String, page: Int, index: Int) {
        guard let m = memory else { return }
        AlternateStack.ensure()
        let s = m.slots + slot
        s.pointee.thread = 0
        let base = m.ids + slot * idCapacity
        var id = id
        let n = id.withUTF8 { u -> Int in
            let n = min(u.count, idCapacity)
            if let p = u.baseAddress { base.update(from: p, count: n) }
            return n
        }
        s.pointee.job = job
        s.pointee.idLength = n
        s.pointee.page = page
        s.pointee.index = index
        s.pointee.thread = UInt(pthread_self())
    }

    /// Notes that this thread is done with the record it began.
    @inline(__always) static func end(slot: Int) {
        guard let m = memory else { return }
        m.slots[slot].thread = 0
    }

    /// A short name of a signal, for the reason of a quarantine.
    static func signalName(_ signal: Int) -> String {
        switch Int32(signal) {
        case SIGSEGV: "SIGSEGV, a memory fault or stack overflow"
        case SIGBUS: "SIGBUS, a memory fault"
        case SIGILL: "SIGILL, a trap"
        case SIGTRAP: "SIGTRAP, a trap"
        case SIGFPE: "SIGFPE, an arithmetic fault"
        case SIGABRT: "SIGABRT, an abort"
        default: "signal \(signal)"
        }
    }
}

/// The handler: async-signal-safe work only (no allocation, no locks, no Swift runtime calls).
private func mapperCrashHandler(_ signal: Int32) {
    if let m = MapperCrashGuard.memory {
        let me = UInt(pthread_self())
        var i = 0
        while i < MapperCrashGuard.slotCount {
            if m.slots[i].thread == me {
                let job = m.slots[i].job
                if job >= 0 && job < MapperCrashGuard.jobCount { writeMarker(m, slot: i, job: job, signal: signal) }
                break
            }
            i += 1
        }
        // Back to what was there before, then the same signal again: delivered once this handler
        // returns (it is blocked meanwhile), it ends the process as it would have ended.
        _ = sigaction(signal, m.previous + Int(signal), nil)
    } else {
        _ = signal_default(signal)
    }
    _ = raise(signal)
}

private func signal_default(_ signal: Int32) -> Int32 {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = SIG_DFL
    sigemptyset(&action.sa_mask)
    return sigaction(signal, &action, nil)
}

/// Writes `{"job":…,"record":"<id>","page":P,"index":I,"signal":S}` to the marker, through a
/// temporary file and a rename.
private func writeMarker(_ m: MapperCrashGuard.Memory, slot: Int, job: Int, signal: Int32) {
    let out = m.scratch
    let capacity = MapperCrashGuard.scratchCapacity - 128
    let prefix = m.prefixes + job * MapperCrashGuard.prefixCapacity
    var n = 0
    var k = 0
    while k < m.prefixLengths[job] {
        out[n] = prefix[k]
        n += 1
        k += 1
    }
    let id = m.ids + slot * MapperCrashGuard.idCapacity
    let length = m.slots[slot].idLength
    k = 0
    while k < length && n < capacity {
        let b = id[k]
        if b == 0x22 || b == 0x5C {
            out[n] = 0x5C
            out[n + 1] = b
            n += 2
        } else if b < 0x20 {
            // \u00XX
            out[n] = 0x5C
            out[n + 1] = 0x75
            out[n + 2] = 0x30
            out[n + 3] = 0x30
            out[n + 4] = hexDigit(b >> 4)
            out[n + 5] = hexDigit(b & 0xF)
            n += 6
        } else {
            out[n] = b
            n += 1
        }
        k += 1
    }
    n = append(out, n, "\",\"page\":")
    n = appendInt(out, n, m.slots[slot].page)
    n = append(out, n, ",\"index\":")
    n = appendInt(out, n, m.slots[slot].index)
    n = append(out, n, ",\"signal\":")
    n = appendInt(out, n, Int(signal))
    n = append(out, n, "}\n")
    let temporary = m.temporaries + job * MapperCrashGuard.pathCapacity
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    var off = 0
    while off < n {
        let w = write(fd, out + off, n - off)
        if w <= 0 { break }
        off += w
    }
    _ = close(fd)
    if off == n { _ = rename(temporary, m.paths + job * MapperCrashGuard.pathCapacity) }
}

@inline(__always) private func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

/// Appends an ASCII literal (a static string: no allocation).
private func append(_ out: UnsafeMutablePointer<UInt8>, _ n: Int, _ text: StaticString) -> Int {
    var n = n
    let p = text.utf8Start
    var k = 0
    while k < text.utf8CodeUnitCount {
        out[n] = p[k]
        n += 1
        k += 1
    }
    return n
}

/// Appends a decimal integer.
private func appendInt(_ out: UnsafeMutablePointer<UInt8>, _ n: Int, _ value: Int) -> Int {
    var n = n
    if value < 0 {
        out[n] = 0x2D
        n += 1
    }
    var digits = 1
    var rest = value.magnitude / 10
    while rest > 0 {
        digits += 1
        rest /= 10
    }
    var v = value.magnitude
    var k = digits
    while k > 0 {
        k -= 1
        out[n + k] = UInt8(truncatingIfNeeded: v % 10) + 0x30
        v /= 10
    }
    return n + digits
}

/// A per-thread alternate signal stack, so that a handler runs even when the thread's own stack is
/// exhausted. Installed once per thread (threads of a queue may change from page to page).
enum AlternateStack {
    static let size = 256 * 1024
    nonisolated(unsafe) static var key = pthread_key_t()
    static let made: Bool = {
        pthread_key_create(&key) { memory in
            // The thread ends: stop using its stack, then free it.
            var off = stack_t()
            off.ss_flags = Int32(SS_DISABLE)
            _ = sigaltstack(&off, nil)
            memory?.deallocate()
        } == 0
    }()

    /// Gives the calling thread an alternate stack unless it has one.
    @inline(__always) static func ensure() {
        guard made, pthread_getspecific(key) == nil else { return }
        var current = stack_t()
        if sigaltstack(nil, &current) == 0, current.ss_flags & Int32(SS_DISABLE) == 0, current.ss_size >= size {
            // The runtime (or someone) gave this thread one already; remember not to look again.
            pthread_setspecific(key, UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))
            return
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        var stack = stack_t()
        stack.ss_sp = memory
        stack.ss_size = size
        stack.ss_flags = 0
        if sigaltstack(&stack, nil) == 0 {
            pthread_setspecific(key, memory)
        } else {
            memory.deallocate()
        }
    }
}
