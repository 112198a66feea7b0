import Foundation
import MapCLI
import Testing

extension AdaptersTestSuite {
    @Suite("mapc sandbox")
    struct SandboxCommandTests {
        @Test("starts the chosen emulators, prints their URLs and variables, and stops cleanly")
        func startAndStop() throws {
            let io = CapturedIO()
            let code = MapCLI.run(
                ["sandbox", "--platform", "hubspot,ga4", "--faults", #"{"latencyMilliseconds": 1}"#, "--debug-exit-after", "0.2"],
                io: io, environment: [:], workingDirectory: Repository.root.path)
            #expect(code == 0, "\(io.stderr)")
            #expect(io.stdout.contains("export MAPC_HUBSPOT_URL=http://127.0.0.1:"))
            #expect(io.stdout.contains("export MAPC_HUBSPOT_TOKEN=sandbox-hubspot-token"))
            #expect(io.stdout.contains("export MAPC_GA4_MEASUREMENT_ID=G-SANDBOX"))
            #expect(!io.stdout.contains("MAPC_SALESFORCE"))
            #expect(io.stderr.contains("sandbox stopped"))
        }

        @Test("refuses unknown platforms and bad fault switches")
        func usageErrors() {
            let io = CapturedIO()
            #expect(MapCLI.run(["sandbox", "--platform", "hubspt"], io: io, environment: [:], workingDirectory: "/") == 2)
            #expect(io.stderr.contains("unknown platform 'hubspt'"))
            let faults = CapturedIO()
            #expect(MapCLI.run(["sandbox", "--faults", "{nope"], io: faults, environment: [:], workingDirectory: "/") == 2)
        }
    }
}
