import Foundation
import SyncEngine
import TestSupport
import Testing

/// The progress line as a pure function: widths, unknown totals, heartbeats and plain (piped) lines
/// against a golden file; the meter's decisions as a trace of made-up times.
@Suite struct ProgressRendererTests {
    static let midRun = ProgressFrame(
        run: 3, state: "uploading batch 45", done: 12_345, total: 30_000, rate: 812.4, sent: 12_000, rejected: 3, skipped: 2,
        unchanged: 340)
    static let unknownTotal = ProgressFrame(
        run: 4, state: "fetching page 7", done: 1_400, total: nil, rate: 56.25, sent: 1_380, rejected: 20)
    static let waiting = ProgressFrame(
        run: 3, state: "uploading batch 45", done: 12_345, total: 30_000, rate: 812.4, sent: 12_000, idle: 47)
    static let starting = ProgressFrame(run: 1, state: "fetching page 1", done: 0, total: 27_931)
    static let finished = ProgressFrame(
        run: 3, state: "completed", done: 30_000, total: 30_000, rate: 1_002, sent: 29_000, rejected: 10, unchanged: 990)
    static let hours = ProgressFrame(run: 9, state: "uploading batch 2", done: 150, total: 1_000_000, rate: 12.5)

    static let frames: [(String, ProgressFrame)] = [
        ("mid-run", midRun), ("unknown total", unknownTotal), ("no progress (heartbeat)", waiting), ("starting", starting),
        ("completed", finished), ("hours left", hours),
    ]

    /// Control characters made visible, so a golden file shows the redraw.
    static func visible(_ s: String) -> String {
        s.replacingOccurrences(of: "\r", with: "<CR>").replacingOccurrences(of: "\u{1B}[K", with: "<EL>")
            .replacingOccurrences(of: "\n", with: "<NL>\n")
    }

    @Test func terminalLinesAtWidths40And80And200AndPlainLinesMatchTheGolden() {
        var out = ""
        for (name, frame) in Self.frames {
            out += "== \(name)\n"
            for columns in [40, 80, 200] {
                out += "\(columns): |\(ProgressRenderer.terminalLine(frame, columns: columns))|\n"
            }
            out += "piped: " + ProgressRenderer.plainLine(frame, at: "2025-01-31T09:30:00Z")
        }
        out += "== heartbeat, piped\n"
        out += ProgressRenderer.heartbeatLine(Self.midRun, idle: 47, at: "2025-01-31T09:31:00Z")
        out += ProgressRenderer.heartbeatLine(Self.unknownTotal, idle: 3_725, at: "2025-01-31T10:32:00Z")
        Golden.check(out, path: "Tests/SyncEngineTests/Golden/progress-lines.txt")
    }

    /// The line never reaches the terminal's last column (it would wrap and scroll), at any width.
    @Test func theTerminalLineNeverWrapsAtAnyWidth() {
        for (name, frame) in Self.frames {
            for columns in 1...260 {
                let line = ProgressRenderer.terminalLine(frame, columns: columns)
                #expect(line.count <= max(1, columns - 1), "\(name) at \(columns): \(line)")
                #expect(!line.contains("\r") && !line.contains("\n") && !line.contains("\u{1B}"))
            }
        }
        // The redraw goes back to the line's start and clears what a longer line left.
        #expect(ProgressRenderer.terminalRedraw(Self.midRun, columns: 80).hasPrefix("\r"))
        #expect(ProgressRenderer.terminalRedraw(Self.midRun, columns: 80).hasSuffix("\u{1B}[K"))
    }

    /// Position, percent and ETA come first: a 40-column terminal keeps them.
    @Test func aNarrowTerminalKeepsPositionPercentRateAndETA() {
        let line = ProgressRenderer.terminalLine(Self.midRun, columns: 40)
        #expect(line.contains("12345/30000 41%"))
        #expect(line.contains("ETA 0:22"))
        #expect(line.contains("812 rec/s"))
        let wide = ProgressRenderer.terminalLine(Self.midRun, columns: 200)
        #expect(wide.hasPrefix("[############------------------] "))
        #expect(wide.contains("run 3 uploading batch 45") && wide.contains("unchanged 340"))
    }

    @Test func durationsReadAsMinutesOrHours() {
        #expect(ProgressRenderer.duration(0) == "0:00")
        #expect(ProgressRenderer.duration(-5) == "0:00")
        #expect(ProgressRenderer.duration(.nan) == "0:00")
        #expect(ProgressRenderer.duration(59.2) == "1:00")
        #expect(ProgressRenderer.duration(61) == "1:01")
        #expect(ProgressRenderer.duration(3_600) == "1:00:00")
        #expect(ProgressRenderer.duration(79_999) == "22:13:19")
        #expect(ProgressRenderer.duration(1e12) == ">1y")
    }

    static func progress(_ done: Int, _ state: JobState, total: Int? = 1_000) -> SyncProgress {
        var counts = SyncCounts()
        counts.fetched = done
        counts.created = done
        return SyncProgress(run: 2, state: state, counts: counts, elapsed: 0, total: total)
    }

    /// On a terminal: redraws at most every 0.2 s (the run stopping always), the idle time after
    /// 15 s without progress, a newline when the run stops and nothing after it.
    @Test func theTerminalMeterRedrawsInPlaceWithAHeartbeatAndEndsTheLine() {
        var meter = ProgressMeter(terminal: true)
        var trace = ""
        func note(_ label: String, _ text: String?) { trace += "\(label): \(text.map(Self.visible) ?? "-")\n" }
        let at = "2025-01-31T09:30:00Z"
        note("t=0 batch 1", meter.update(Self.progress(100, JobState(.uploading, page: 1, batch: 1)), now: 0, timestamp: at, columns: 80))
        note(
            "t=0.1 batch 2 (too soon)",
            meter.update(Self.progress(200, JobState(.uploading, batch: 2)), now: 0.1, timestamp: at, columns: 80))
        note("t=2 batch 3", meter.update(Self.progress(300, JobState(.uploading, batch: 3)), now: 2, timestamp: at, columns: 80))
        note("t=10 tick", meter.tick(now: 10, timestamp: at, columns: 80))
        note("t=18 tick (idle 16s)", meter.tick(now: 18, timestamp: at, columns: 80))
        note("t=19 tick (idle 17s)", meter.tick(now: 19, timestamp: at, columns: 60))
        note("t=20 batch 4", meter.update(Self.progress(400, JobState(.uploading, batch: 4)), now: 20, timestamp: at, columns: 80))
        note(
            "t=21 completed",
            meter.update(Self.progress(1_000, JobState(.completed, batch: 10)), now: 21, timestamp: at, columns: 80))
        note("t=40 tick after the end", meter.tick(now: 40, timestamp: at, columns: 80))
        note("finish", meter.finish())
        Golden.check(trace, path: "Tests/SyncEngineTests/Golden/progress-meter-terminal.txt")
    }

    /// Piped: the first snapshot, then a line at most every 10 s (not at every change of phase), a
    /// heartbeat every 15 s of stillness, the last state always; no control characters.
    @Test func thePipedMeterWritesTimestampedLinesAtAModestRate() {
        var meter = ProgressMeter(terminal: false)
        var trace = ""
        func note(_ label: String, _ text: String?) { trace += "\(label): \(text ?? "-\n")" }
        func stamp(_ s: Int) -> String { "2025-01-31T09:30:\(s < 10 ? "0" : "")\(s)Z" }
        for (i, t) in [0.0, 1, 2, 5, 9.9, 10, 11].enumerated() {
            let state = i % 2 == 0 ? JobState(.uploading, batch: i + 1) : JobState(.validating, page: i + 1)
            let p = Self.progress(100 * (i + 1), state, total: nil)
            note("t=\(t) batch \(i + 1)", meter.update(p, now: t, timestamp: stamp(Int(t)), columns: 80))
        }
        note(
            "t=12 paused",
            meter.update(
                Self.progress(700, JobState(.paused, batch: 7, reason: "x"), total: nil), now: 12, timestamp: stamp(12), columns: 80))
        note("t=40 tick (paused: no heartbeat)", meter.tick(now: 40, timestamp: stamp(40), columns: 80))
        var waiting = ProgressMeter(terminal: false)
        note("t=0 fetching", waiting.update(Self.progress(0, JobState(.fetching, page: 1)), now: 0, timestamp: stamp(0), columns: 80))
        note("t=14 tick", waiting.tick(now: 14, timestamp: stamp(14), columns: 80))
        note("t=15 tick", waiting.tick(now: 15, timestamp: stamp(15), columns: 80))
        note("t=20 tick", waiting.tick(now: 20, timestamp: stamp(20), columns: 80))
        note("t=30 tick", waiting.tick(now: 30, timestamp: stamp(30), columns: 80))
        note("finish", waiting.finish())
        #expect(!trace.contains("\r") && !trace.contains("\u{1B}"))
        Golden.check(trace, path: "Tests/SyncEngineTests/Golden/progress-meter-piped.txt")
    }
}
