import Foundation
import TestSupport
import Testing

/// The built executables run as child processes: an input that used to kill `mapc` then fails the
/// test that tries it (a signal is seen) instead of the test runner.
enum ChildProcess {
    struct Outcome {
        /// The exit status, or the signal when ``signaled``.
        var status: Int32
        var signaled: Bool
        var out: String
        var err: String
        /// Standard output as bytes.
        var outBytes: [UInt8]

        /// "exit N" or "signal N", with the end of standard error, for failure messages.
        var summary: String { (signaled ? "signal \(status)" : "exit \(status)") + ": " + String(err.suffix(1500)) }
    }

    /// The path of executable `name` built next to the tests.
    static func binary(_ name: String) throws -> String {
        var candidates: [String] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent().appendingPathComponent(name).path) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path)
        candidates.append(Repo.path(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Missing(description: "\(name) is not built (looked in \(candidates)); run 'swift build --build-tests'")
        }
        return found
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `name` with `args` in `cwd`; standard output goes to a pipe, or to the file at
    /// `stdoutPath` (such as `/dev/full`).
    static func run(
        _ name: String = "mapc", _ args: [String], cwd: String, env: [String: String] = [:], stdoutPath: String? = nil,
        stdinPath: String? = nil
    ) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary(name))
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment.merge(env) { _, new in new }
        p.environment = environment
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-child-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Output to files, not pipes: nothing to drain while waiting.
        let outFile = dir + "/out"
        let errFile = dir + "/err"
        FileManager.default.createFile(atPath: outFile, contents: nil)
        FileManager.default.createFile(atPath: errFile, contents: nil)
        let out = stdoutPath.flatMap { FileHandle(forWritingAtPath: $0) } ?? FileHandle(forWritingAtPath: outFile)!
        let err = FileHandle(forWritingAtPath: errFile)!
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdinPath.flatMap { FileHandle(forReadingAtPath: $0) } ?? FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        let outData = FileManager.default.contents(atPath: outFile) ?? Data()
        let errData = FileManager.default.contents(atPath: errFile) ?? Data()
        return Outcome(
            status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
            out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self), outBytes: Array(outData))
    }
}

/// A scratch project (schemas and samples copied) that removes itself.
final class ScratchProject {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for sub in ["schemas", "samples"] {
            try FileManager.default.copyItem(atPath: Repo.path(sub), toPath: "\(root)/\(sub)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func write(_ relative: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + relative))
    }

    func write(_ relative: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + relative))
    }

    func read(_ relative: String) -> String {
        String(decoding: FileManager.default.contents(atPath: root + "/" + relative) ?? Data(), as: UTF8.self)
    }

    /// Runs the built `mapc` here.
    func mapc(_ args: [String], env: [String: String] = [:], stdoutPath: String? = nil, stdinPath: String? = nil) throws
        -> ChildProcess.Outcome
    {
        try ChildProcess.run("mapc", args, cwd: root, env: env, stdoutPath: stdoutPath, stdinPath: stdinPath)
    }
}
