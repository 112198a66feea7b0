import Foundation

/// What went wrong with one input.
enum FuzzFailure: Equatable {
    /// The child died of a signal (a trap, a fault, an abort: also running out of memory).
    case signal(Int32)
    /// The child exited with a status instead of answering.
    case exit(Int32)
    /// The child did not answer within the time limit.
    case hang
    /// The child could not be started or talked to.
    case harness(String)

    var description: String {
        switch self {
        case .signal(let s): "crash (signal \(s)\(Supervisor.signalName(s)))"
        case .exit(let s): "the child exited with status \(s)"
        case .hang: "hang (no answer within the time limit)"
        case .harness(let m): "harness failure: \(m)"
        }
    }
}

/// The parent side: keeps one child process per target, feeds it inputs, and notices when it
/// dies or stalls.
final class Supervisor {
    let executable: String
    let target: String
    let memoryMB: Int
    let timeout: Double
    /// The child's standard error goes here (the last crash's message is read back from it).
    let stderrPath: String
    private var process: Process?
    private var toChild: FileHandle?
    private var fromChild: Int32 = -1

    init(executable: String, target: String, memoryMB: Int, timeout: Double, stderrPath: String) {
        self.executable = executable
        self.target = target
        self.memoryMB = memoryMB
        self.timeout = timeout
        self.stderrPath = stderrPath
    }

    /// Runs one input in the child (starting one when needed); nil when it came back.
    func run(_ input: [UInt8]) -> FuzzFailure? {
        if process == nil, let failure = start() { return failure }
        guard let toChild, let process else { return .harness("no child") }
        var frame = [UInt8](repeating: 0, count: 4)
        let n = UInt32(input.count)
        frame[0] = UInt8(n & 0xFF)
        frame[1] = UInt8(n >> 8 & 0xFF)
        frame[2] = UInt8(n >> 16 & 0xFF)
        frame[3] = UInt8(n >> 24 & 0xFF)
        let sent: Bool = (try? toChild.write(contentsOf: frame + input)) != nil
        if !sent { return collect(process) }
        var poller = pollfd(fd: fromChild, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                stop()
                return .hang
            }
            let r = poll(&poller, 1, Int32(min(left, 1) * 1000) + 1)
            if r < 0 && errno == EINTR { continue }
            if r == 0 { continue }
            var byte: UInt8 = 0
            let got = read(fromChild, &byte, 1)
            if got == 1 && byte == Child.ack { return nil }
            return collect(process)
        }
    }

    /// The failure of a child that stopped answering: waits for it and says how it ended.
    private func collect(_ process: Process) -> FuzzFailure {
        process.waitUntilExit()
        let failure: FuzzFailure =
            process.terminationReason == .uncaughtSignal ? .signal(process.terminationStatus) : .exit(process.terminationStatus)
        stop()
        return failure
    }

    private func start() -> FuzzFailure? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--child", "--target", target, "--memory-mb", String(memoryMB)]
        var env = ProcessInfo.processInfo.environment
        // A crash is reported here; the runtime's backtrace would take seconds per crash.
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: stderrPath) ?? FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return .harness("cannot start \(executable): \(error)")
        }
        process = p
        toChild = input.fileHandleForWriting
        fromChild = output.fileHandleForReading.fileDescriptor
        // Keep the read end's handle alive with the process.
        outputHandle = output.fileHandleForReading
        return nil
    }

    private var outputHandle: FileHandle?

    /// Ends the child (asking it first) and forgets it.
    func stop() {
        if let process, process.isRunning {
            var quit = [UInt8](repeating: 0xFF, count: 4)
            _ = try? toChild?.write(contentsOf: quit)
            quit.removeAll()
            try? toChild?.close()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        try? toChild?.close()
        try? outputHandle?.close()
        process = nil
        toChild = nil
        outputHandle = nil
        fromChild = -1
    }

    /// What the child wrote to standard error before it died: its crash message, not the stack.
    func childMessage() -> String {
        guard let data = FileManager.default.contents(atPath: stderrPath) else { return "" }
        let text = String(decoding: data.prefix(8000), as: UTF8.self)
        let lines = text.split(separator: "\n").prefix { !$0.hasPrefix("Current stack trace") && !$0.hasPrefix("0 ") }
        return lines.prefix(12).map { String($0.prefix(300)) }.joined(separator: "\n")
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGILL: ", SIGILL: a Swift trap"
        case SIGTRAP: ", SIGTRAP: a trap"
        case SIGSEGV: ", SIGSEGV: a memory fault or stack overflow"
        case SIGBUS: ", SIGBUS"
        case SIGABRT: ", SIGABRT: an abort, often out of memory"
        case SIGFPE: ", SIGFPE"
        case SIGKILL: ", SIGKILL"
        default: ""
        }
    }
}
