import Foundation
import Observe
import Testing

/// A small parser of the Prometheus text format 0.0.4, strict enough to catch rendering mistakes.
struct ParsedExposition {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var help: [String: String] = [:]
    var types: [String: String] = [:]
    var samples: [Sample] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                help[name] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1])) else {
                    throw ParseError("bad TYPE line: \(line)")
                }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                samples.append(try Self.sample(String(line)))
            }
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func sample(_ line: String) throws -> Sample {
        var i = line.startIndex
        var name = ""
        while i < line.endIndex, line[i].isLetter || line[i].isNumber || line[i] == "_" || line[i] == ":" {
            name.append(line[i])
            i = line.index(after: i)
        }
        guard !name.isEmpty, !(name.first!.isNumber) else { throw ParseError("bad metric name in: \(line)") }
        var labels: [String: String] = [:]
        if i < line.endIndex, line[i] == "{" {
            i = line.index(after: i)
            while line[i] != "}" {
                var label = ""
                while line[i] != "=" {
                    label.append(line[i])
                    i = line.index(after: i)
                }
                i = line.index(after: i)
                guard line[i] == "\"" else { throw ParseError("label value not quoted: \(line)") }
                i = line.index(after: i)
                var value = ""
                while line[i] != "\"" {
                    if line[i] == "\\" {
                        i = line.index(after: i)
                        switch line[i] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw ParseError("bad escape in: \(line)")
                        }
                    } else {
                        value.append(line[i])
                    }
                    i = line.index(after: i)
                }
                i = line.index(after: i)
                labels[label] = value
                if line[i] == "," { i = line.index(after: i) }
            }
            i = line.index(after: i)
        }
        guard i < line.endIndex, line[i] == " " else { throw ParseError("no value in: \(line)") }
        let text = line[line.index(after: i)...]
        let value: Double
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(text) else { throw ParseError("bad value in: \(line)") }
            value = v
        }
        return Sample(name: name, labels: labels, value: value)
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { s in s.name == name && labels.allSatisfy { k, v in s.labels[k] == v } }?.value
    }
}

@Suite struct ExpositionTests {
    @Test func rendersHelpTypeAndEscapedLabels() throws {
        let family = MetricFamily(
            name: "mapc_records", help: "Records \\ by outcome\nper job.", type: .gauge,
            samples: [MetricSample(labels: [.init("job", "a \"quoted\" \\ job\nname"), .init("outcome", "created")], value: 3)])
        let text = Exposition.render([family])
        #expect(text.contains("# HELP mapc_records Records \\\\ by outcome\\nper job.\n"))
        #expect(text.contains("# TYPE mapc_records gauge\n"))
        #expect(text.contains(#"mapc_records{job="a \"quoted\" \\ job\nname",outcome="created"} 3"#))
        let parsed = try ParsedExposition(text)
        #expect(parsed.types["mapc_records"] == "gauge")
        #expect(parsed.value("mapc_records", ["job": "a \"quoted\" \\ job\nname"]) == 3)
    }

    @Test func histogramIsCumulativeWithInfSumAndCount() throws {
        var h = Histogram(bounds: [0.1, 1, 10])
        for v in [0.05, 0.5, 0.7, 5, 50] { h.observe(v) }
        let text = Exposition.render([
            MetricFamily(name: "lat_seconds", help: "Latency.", type: .histogram, samples: h.samples(labels: [.init("job", "j")]))
        ])
        let p = try ParsedExposition(text)
        #expect(p.value("lat_seconds_bucket", ["le": "0.1"]) == 1)
        #expect(p.value("lat_seconds_bucket", ["le": "1"]) == 3)
        #expect(p.value("lat_seconds_bucket", ["le": "10"]) == 4)
        #expect(p.value("lat_seconds_bucket", ["le": "+Inf"]) == 5)
        #expect(p.value("lat_seconds_count") == 5)
        #expect(abs((p.value("lat_seconds_sum") ?? 0) - 56.25) < 1e-9)
    }

    @Test func numbersRenderAsPrometheusExpects() {
        #expect(Exposition.number(3) == "3")
        #expect(Exposition.number(0.25) == "0.25")
        #expect(Exposition.number(.infinity) == "+Inf")
        #expect(Exposition.number(-.infinity) == "-Inf")
        #expect(Exposition.number(.nan) == "NaN")
    }
}
