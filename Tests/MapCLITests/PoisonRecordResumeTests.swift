import Foundation
import MapDSL
import TestSupport
import Testing

/// A record quarantined for killing the mapper is not mapped again by the run that quarantined it,
/// even when it still kills the mapper: not on the page read again after the resume, not on a page
/// mapped ahead on another thread.
@Suite(.serialized, .timeLimit(.minutes(5))) struct PoisonRecordResumeTests {
    @Test(arguments: ["5110", "5300"])
    func aResumedRunNeverMapsTheRecordItQuarantinedAgain(record: String) throws {
        let p = try PoisonRecordTests.JSONLProject()
        let crashed = try p.mapc(["sync", "leads"], crashOn: record)
        #expect(crashed.signaled, "\(crashed.summary)")
        // The record would still kill the mapper: the resumed run must go round it.
        let resumed = try p.mapc(["resume", "leads", "--format", "json"], crashOn: record)
        #expect(!resumed.signaled && resumed.status == 0, "\(resumed.summary)")
        #expect(try JSONParser.parse(resumed.out)["state"] == "completed")
        #expect(p.leadKeys.count == 215 && !p.leadKeys.contains(record))
    }
}
