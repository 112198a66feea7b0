/// The phases a sync run moves through.
public enum JobPhase: String, Sendable, Hashable, CaseIterable, Codable {
    case created, fetching, mapping, validating, uploading, paused, completed, failed, cancelled

    /// Whether the run is doing work (as opposed to waiting or finished).
    public var isRunning: Bool {
        switch self {
        case .fetching, .mapping, .validating, .uploading: true
        case .created, .paused, .completed, .failed, .cancelled: false
        }
    }

    /// Whether the run can never move again.
    public var isTerminal: Bool {
        switch self {
        case .completed, .cancelled: true
        case .created, .fetching, .mapping, .validating, .uploading, .paused, .failed: false
        }
    }
}

/// Where a run is: its phase, the page and batch it is on, and why it stopped if it did.
public struct JobState: Sendable, Hashable, CustomStringConvertible {
    /// The phase.
    public var phase: JobPhase
    /// The source page being processed (1-based; 0 before the first).
    public var page: Int
    /// The destination batch being uploaded (1-based, counted across the run; 0 before the first).
    public var batch: Int
    /// Why the run paused or failed.
    public var reason: String?

    /// Creates a state.
    public init(_ phase: JobPhase, page: Int = 0, batch: Int = 0, reason: String? = nil) {
        self.phase = phase
        self.page = page
        self.batch = batch
        self.reason = reason
    }

    /// The state of a new run.
    public static let initial = JobState(.created)

    /// `uploading batch 451`, `paused in uploading batch 451: …`: a reason that starts with the
    /// phase's name (as the runner writes them) is not prefixed with it again (no `paused: paused in`).
    public var description: String {
        switch phase {
        case .fetching: "fetching page \(page)"
        case .mapping: "mapping page \(page)"
        case .validating: "validating page \(page)"
        case .uploading: "uploading batch \(batch)"
        case .paused, .failed:
            if let reason { reason.hasPrefix(phase.rawValue + " ") ? reason : "\(phase.rawValue): \(reason)" } else { phase.rawValue }
        case .created, .completed, .cancelled: phase.rawValue
        }
    }
}

/// A transition the state machine does not allow.
public struct IllegalTransition: Error, Sendable, Hashable, CustomStringConvertible {
    /// The state the run was in.
    public var from: JobPhase
    /// The state asked for.
    public var to: JobPhase

    public var description: String { "illegal transition from \(from.rawValue) to \(to.rawValue)" }
}

/// The allowed transitions between phases; every change of state goes through ``validate(from:to:)``.
public enum StateMachine {
    /// The phases reachable from `phase`.
    public static func successors(of phase: JobPhase) -> Set<JobPhase> {
        let stop: Set<JobPhase> = [.paused, .failed, .cancelled]
        switch phase {
        case .created: return [.fetching, .cancelled, .failed]
        case .fetching: return stop.union([.mapping, .completed])
        case .mapping: return stop.union([.validating])
        case .validating: return stop.union([.uploading, .fetching, .completed])
        case .uploading: return stop.union([.uploading, .fetching, .completed])
        case .paused: return [.fetching, .uploading, .cancelled, .failed]
        case .failed: return [.fetching, .uploading, .cancelled]
        case .completed: return []
        case .cancelled: return []
        }
    }

    /// Throws when moving from `from` to `to` is not allowed.
    public static func validate(from: JobPhase, to: JobPhase) throws(IllegalTransition) {
        guard successors(of: from).contains(to) else { throw IllegalTransition(from: from, to: to) }
    }

    /// Replays a sequence of phases from the initial state, throwing at the first illegal step.
    public static func replay(_ phases: [JobPhase]) throws(IllegalTransition) -> JobPhase {
        var current = JobPhase.created
        for p in phases {
            try validate(from: current, to: p)
            current = p
        }
        return current
    }
}
