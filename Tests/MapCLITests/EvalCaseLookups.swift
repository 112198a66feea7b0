import Foundation
import MapCLI
import MapDSL
import MapGen
import TestSupport
import Testing

extension EvalCase {
    /// The case's lookup records, read as their schema types (as the scorer serves them).
    func testLookups() -> LookupProvider {
        var records: [String: [[String: Value]]] = [:]
        for (object, list) in lookups {
            let p = object.split(separator: ".", maxSplits: 1).map(String.init)
            guard p.count == 2, let schema = (try? Repo.schemas.schema(platform: p[0], object: p[1])) ?? nil else { continue }
            records[schema.qualifiedName] = list.map { r in
                var out: [String: Value] = [:]
                for (k, v) in r.objectValue ?? [] {
                    if let f = schema.field(k), case .success(let value) = SourceDecoder.decode(v, as: f) { out[k] = value }
                }
                return out
            }
        }
        return InMemoryLookup(records: records)
    }
}
