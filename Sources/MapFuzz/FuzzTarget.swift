/// Something the fuzzer feeds bytes to: a front end of mapc that reads input from the world.
///
/// `run` must never trap, for any input: it returns normally whatever the bytes are (errors are
/// diagnostics or thrown and caught errors). A target checks its own invariants (a formatter round
/// trip, say) and traps with a message when one fails, which the fuzzer reports like a crash.
protocol FuzzTarget: Sendable {
    /// The name used with `--target`.
    var name: String { get }
    /// Inputs to start mutating from: well-formed examples of what the target reads.
    var seeds: [[UInt8]] { get }
    /// Feeds one input to the code under test.
    func run(_ input: [UInt8])
}
