import Foundation

// mapc-fuzz: see FuzzOptions.usage.
signal(SIGPIPE, SIG_IGN)

/// Writes a line to standard output at once (a run may be watched through a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let options: FuzzOptions
do {
    options = try FuzzOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch let e as UsageError {
    if let m = e.message {
        FileHandle.standardError.write(Data("error: \(m)\nhelp: see 'mapc-fuzz --help'\n".utf8))
        exit(2)
    }
    say(FuzzOptions.usage)
    exit(0)
}

let known = fuzzTargets + namedOnlyTargets + selfTestTargets
func target(named name: String) -> any FuzzTarget {
    guard let t = known.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(
            Data(
                "error: no target '\(name)'\nhelp: targets: \((fuzzTargets + namedOnlyTargets).map(\.name).joined(separator: ", "))\n".utf8)
        )
        exit(2)
    }
    return t
}

if options.list {
    for t in fuzzTargets { say(t.name) }
    for t in namedOnlyTargets { say(t.name + " (run only when named)") }
    exit(0)
}

if options.child {
    guard let name = options.targets.first else { exit(2) }
    Child.serve(target(named: name), memoryMB: options.memoryMB)
}

if let file = options.replay {
    guard options.targets.count == 1 else {
        FileHandle.standardError.write(Data("error: --replay needs one --target\n".utf8))
        exit(2)
    }
    guard let data = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("error: cannot read '\(file)'\n".utf8))
        exit(2)
    }
    let t = target(named: options.targets[0])
    let started = Date()
    t.run(Array(data))
    say("\(t.name): \(file) ran without failing in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    exit(0)
}

let chosen: [any FuzzTarget] =
    options.targets.isEmpty ? (options.selfTest ? selfTestTargets : fuzzTargets) : options.targets.map(target(named:))

if let directory = options.seedsDirectory {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for t in chosen {
            let seeds = t.seeds
            for (i, seed) in seeds.enumerated() {
                try Data(seed).write(to: URL(fileURLWithPath: directory + "/\(t.name)-\(i)"))
            }
            say("\(t.name): \(seeds.count) seeds in \(directory)")
        }
    } catch {
        FileHandle.standardError.write(Data("error: cannot write the seeds to '\(directory)': \(error)\n".utf8))
        exit(3)
    }
    exit(0)
}
let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
let resolved = FileManager.default.isExecutableFile(atPath: executable) ? executable : (Bundle.main.executablePath ?? executable)
var failed = false
for t in chosen {
    let started = Date()
    let result = Campaign(target: t, options: options, executable: resolved).run()
    let seconds = Date().timeIntervalSince(started)
    let crashes = result.failures.filter { if case .signal = $0.0 { true } else { false } }.count
    let hangs = result.failures.filter { $0.0 == .hang }.count
    let other = result.failures.count - crashes - hangs
    say(
        "\(t.name): \(result.tried) inputs in \(String(format: "%.1f", seconds)) s (seed \(options.seed)), "
            + "\(crashes) crashes, \(hangs) hangs\(other > 0 ? ", \(other) other failures" : "")")
    if !result.failures.isEmpty { failed = true }
}
exit(failed ? 1 : 0)
