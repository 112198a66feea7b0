import Foundation

/// The options of a fuzzing run.
struct FuzzOptions {
    var targets: [String] = []
    var seconds: Double = 60
    var runs: Int?
    var seed: UInt64 = 1
    var maxLength = 1 << 16
    var timeout: Double = 10
    var memoryMB = 2048
    var failures = ".build/fuzz-failures"
    var replay: String?
    var seedsDirectory: String?
    var child = false
    var selfTest = false
    var list = false
    var quiet = false

    static let usage = """
        mapc-fuzz — seeded mutation fuzzing of mapc's readers (mappings, records, the formatter, webhook deliveries,
        platform replies)

        Usage: mapc-fuzz [--target NAME]... [--seconds S] [--runs N] [--seed N]
               mapc-fuzz --target NAME --replay FILE
               mapc-fuzz --target NAME --seeds DIR
               mapc-fuzz --list

        Each target runs in a child process: a crash is a signal the parent sees, an input that takes
        longer than --timeout seconds is a hang, and the child's address space is limited to
        --memory-mb. A failing input is written to --failures DIR/<target>-<hash> with the command
        that replays it. The inputs tried follow from --seed alone (a time box ends the sequence
        early). Exit status 0 when nothing failed, 1 when something did, 2 for a usage error.

        Options:
          --target NAME     Fuzz only this target (repeatable; default: all).
          --seconds S       Time box per target (default 60).
          --runs N          Inputs per target (default: as many as the time box allows).
          --seed N          Seed of the input sequence (default 1).
          --max-length N    Longest input made, in bytes (default 65536).
          --timeout S       Seconds one input may take (default 10).
          --memory-mb N     Address space of a child, in MiB (default 2048).
          --failures DIR    Where failing inputs go (default .build/fuzz-failures).
          --replay FILE     Run one input in this process (a crash shows its backtrace) and exit.
          --seeds DIR       Write the targets' seeds to DIR/<target>-<n> (to read or replay them) and exit.
          --list            List the targets.
          --quiet           Only the summary.
        """

    static func parse(_ args: [String]) throws -> FuzzOptions {
        var o = FuzzOptions()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw UsageError("\(args[i - 1]) needs a value") }
            return args[i]
        }
        func number<T: LosslessStringConvertible>(_ name: String) throws -> T {
            let v = try value()
            guard let n = T(v) else { throw UsageError("\(name) takes a number, not '\(v)'") }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--target": o.targets.append(try value())
            case "--seconds": o.seconds = try number("--seconds")
            case "--runs": o.runs = try number("--runs")
            case "--seed": o.seed = try number("--seed")
            case "--max-length": o.maxLength = try number("--max-length")
            case "--timeout": o.timeout = try number("--timeout")
            case "--memory-mb": o.memoryMB = try number("--memory-mb")
            case "--failures": o.failures = try value()
            case "--replay": o.replay = try value()
            case "--seeds": o.seedsDirectory = try value()
            case "--child": o.child = true
            case "--self-test": o.selfTest = true
            case "--list": o.list = true
            case "--quiet": o.quiet = true
            case "--help", "-h": throw UsageError(nil)
            default: throw UsageError("unknown option '\(args[i])'")
            }
            i += 1
        }
        guard o.seconds > 0, o.maxLength > 0, o.timeout > 0, (o.runs ?? 1) >= 0 else {
            throw UsageError("--seconds, --max-length and --timeout must be positive")
        }
        return o
    }
}

struct UsageError: Error {
    var message: String?
    init(_ message: String?) { self.message = message }
}

/// One target's run: inputs made from the seeds by the mutator, each run in the child.
struct Campaign {
    let target: any FuzzTarget
    let options: FuzzOptions
    let executable: String

    /// What a run found.
    struct Result {
        var tried = 0
        var failures: [(FuzzFailure, String)] = []
    }

    /// Runs until the time box ends or `runs` inputs were tried; at most five failures are kept.
    func run() -> Result {
        var result = Result()
        let fm = FileManager.default
        try? fm.createDirectory(atPath: options.failures, withIntermediateDirectories: true)
        let supervisor = Supervisor(
            executable: executable, target: target.name, memoryMB: options.memoryMB, timeout: options.timeout,
            stderrPath: options.failures + "/.\(target.name).stderr")
        defer { supervisor.stop() }
        var random = SeededRandom(seed: options.seed ^ UInt64(truncatingIfNeeded: target.name.hashValueStable))
        let seeds = target.seeds.isEmpty ? [[UInt8]()] : target.seeds
        let mutator = Mutator(seeds: seeds, maxLength: options.maxLength)
        var corpus = seeds
        var seen = Set<String>()
        let deadline = Date().addingTimeInterval(options.seconds)
        var index = 0
        while Date() < deadline && result.failures.count < 5 {
            if let runs = options.runs, index >= runs { break }
            // The seeds as they are first, then mutants of the corpus.
            let input: [UInt8]
            if index < seeds.count {
                input = seeds[index]
            } else {
                let parent = corpus[random.below(corpus.count)]
                let other = corpus[random.below(corpus.count)]
                input = mutator.mutate(parent, other: other, random: &random)
                // Some mutants become parents: changes pile up over generations.
                if random.oneIn(8) {
                    if corpus.count < 512 { corpus.append(input) } else { corpus[seeds.count + random.below(512 - seeds.count)] = input }
                }
            }
            index += 1
            result.tried += 1
            guard let failure = supervisor.run(input) else { continue }
            let hash = fnv1a(input)
            guard seen.insert(hash).inserted else { continue }
            let path = options.failures + "/\(target.name)-\(hash)"
            _ = fm.createFile(atPath: path, contents: Data(input))
            let message = supervisor.childMessage()
            result.failures.append((failure, path))
            say("\(target.name): \(failure.description) on input \(index) (\(input.count) bytes)")
            if !message.isEmpty { say(message.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")) }
            say("    saved: \(path)")
            say("    replay: \(executable) --target \(target.name) --replay \(path)")
            if case .harness = failure { break }
        }
        return result
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01B3
        }
        return h
    }
}
