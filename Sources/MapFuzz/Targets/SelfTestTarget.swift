import Foundation

/// A target that fails on purpose when its input starts with `!`, to show that the fuzzer sees a
/// crash, a hang and unbounded memory (`mapc-fuzz --self-test`, and the fuzzer's own tests).
struct SelfTestTarget: FuzzTarget {
    enum Behaviour: Sendable {
        case crash, hang, memory
    }

    let name: String
    let behaviour: Behaviour

    var seeds: [[UInt8]] { [Array("fine".utf8), Array("!".utf8)] }

    func run(_ input: [UInt8]) {
        guard input.first == UInt8(ascii: "!") else { return }
        switch behaviour {
        case .crash:
            let values = [1, 2, 3]
            _ = values[input.count + 5]
        case .hang:
            while true { usleep(100_000) }
        case .memory:
            // Address space is what the child's limit counts: reserving it is enough.
            var hoard: [UnsafeMutableRawPointer] = []
            while true { hoard.append(UnsafeMutableRawPointer.allocate(byteCount: 256 << 20, alignment: 16)) }
        }
    }
}
