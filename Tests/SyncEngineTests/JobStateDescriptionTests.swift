import SyncEngine
import Testing

@Suite struct JobStateDescriptionTests {
    /// Regression (issue 16, item 8): the runner's reasons start with the phase ("paused in …"),
    /// and the description prefixed it again ("paused: paused in …").
    @Test func aReasonThatNamesThePhaseIsNotPrefixedAgain() {
        #expect(
            JobState(.paused, reason: "paused in uploading batch 3: failed 5 times").description
                == "paused in uploading batch 3: failed 5 times")
        #expect(JobState(.failed, reason: "failed in fetching: fatal: 401").description == "failed in fetching: fatal: 401")
        #expect(JobState(.paused, reason: "the Account lookup timed out").description == "paused: the Account lookup timed out")
        #expect(JobState(.paused, reason: "pausedness").description == "paused: pausedness")
        #expect(JobState(.paused).description == "paused")
        #expect(JobState(.uploading, batch: 4).description == "uploading batch 4")
    }
}
