import Testing

/// Every suite of this target runs inside this one, one test at a time: the throughput test measures
/// wall time against a rate ceiling and must not share two CPU cores with the conformance runs.
@Suite("Adapters", .serialized)
enum AdaptersTestSuite {}
