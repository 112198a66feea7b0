import Foundation

/// The kinds of Prometheus metric families this tool exposes.
public enum MetricType: String, Sendable, Hashable {
    case counter, gauge, histogram
}

/// One sample line: the family name plus a suffix (`_bucket`, `_sum`, `_count` for histograms),
/// labels in order, and the value.
public struct MetricSample: Sendable, Hashable {
    /// Appended to the family name (empty for counters and gauges).
    public var suffix: String
    /// Label names and values, in the order written.
    public var labels: [Label]
    /// The value.
    public var value: Double

    /// A label pair.
    public struct Label: Sendable, Hashable {
        /// The name (`[a-zA-Z_][a-zA-Z0-9_]*`).
        public var name: String
        /// The value (any text; escaped when rendered).
        public var value: String

        /// Creates a label.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a sample.
    public init(suffix: String = "", labels: [Label] = [], value: Double) {
        self.suffix = suffix
        self.labels = labels
        self.value = value
    }
}

/// A metric family: `# HELP`, `# TYPE` and its samples.
public struct MetricFamily: Sendable, Hashable {
    /// The metric name (`mapc_records`).
    public var name: String
    /// One line of help text.
    public var help: String
    /// The type.
    public var type: MetricType
    /// The samples.
    public var samples: [MetricSample]

    /// Creates a family.
    public init(name: String, help: String, type: MetricType, samples: [MetricSample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}

/// A cumulative histogram with fixed upper bounds, rendered as Prometheus `_bucket`, `_sum`, `_count`.
public struct Histogram: Sendable, Hashable {
    /// Upper bounds, ascending (`+Inf` is implicit).
    public let bounds: [Double]
    /// Observations at or below each bound (non-cumulative; cumulated when rendered).
    private(set) var perBucket: [Int]
    /// Observations above the last bound.
    private(set) var overflow = 0
    /// Sum of observations.
    public private(set) var sum = 0.0
    /// Number of observations.
    public private(set) var count = 0

    /// Creates an empty histogram over `bounds`.
    public init(bounds: [Double]) {
        self.bounds = bounds.sorted()
        perBucket = Array(repeating: 0, count: bounds.count)
    }

    /// A histogram with counts already taken: per bucket (not cumulative), above the last bound,
    /// and the sum of the observations.
    public init(bounds: [Double], bucketCounts: [Int], overflow: Int, sum: Double) {
        self.bounds = bounds
        perBucket = bounds.indices.map { $0 < bucketCounts.count ? bucketCounts[$0] : 0 }
        self.overflow = overflow
        self.sum = sum
        count = perBucket.reduce(overflow, +)
    }

    /// Adds one observation.
    public mutating func observe(_ value: Double) {
        sum += value
        count += 1
        if let i = bounds.firstIndex(where: { value <= $0 }) {
            perBucket[i] += 1
        } else {
            overflow += 1
        }
    }

    /// The samples of this histogram with `labels` (plus `le` on buckets).
    public func samples(labels: [MetricSample.Label]) -> [MetricSample] {
        var out: [MetricSample] = []
        var cumulative = 0
        for (bound, n) in zip(bounds, perBucket) {
            cumulative += n
            out.append(
                MetricSample(suffix: "_bucket", labels: labels + [.init("le", Exposition.number(bound))], value: Double(cumulative)))
        }
        out.append(MetricSample(suffix: "_bucket", labels: labels + [.init("le", "+Inf")], value: Double(count)))
        out.append(MetricSample(suffix: "_sum", labels: labels, value: sum))
        out.append(MetricSample(suffix: "_count", labels: labels, value: Double(count)))
        return out
    }
}

/// The Prometheus text exposition format, version 0.0.4.
public enum Exposition {
    /// The `Content-Type` of the rendered text.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders families in order, each with its `# HELP` and `# TYPE` lines.
    public static func render(_ families: [MetricFamily]) -> String {
        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(escapeHelp(f.help))\n"
            out += "# TYPE \(f.name) \(f.type.rawValue)\n"
            for s in f.samples {
                out += f.name + s.suffix
                if !s.labels.isEmpty {
                    out += "{" + s.labels.map { "\($0.name)=\"\(escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
                }
                out += " " + number(s.value) + "\n"
            }
        }
        return out
    }

    /// Escapes a label value: backslash, double quote and line feed.
    public static func escapeLabel(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Escapes help text: backslash and line feed.
    public static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    public static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
