import AdapterSpec
import Adapters
import Foundation
import MapCLI
import MapDSL
import Sandbox
import Testing

extension AdaptersTestSuite {
    /// `mapc sync` from the HubSpot emulator into a platform that exists only as a spec
    /// (adapters/klaviyo.json), against the emulator generated from that spec: no Swift for Klaviyo.
    @Suite("Sync into a spec platform", .timeLimit(.minutes(3)))
    struct DeclarativeSyncTests {
        /// A scratch copy of the project files a sync reads.
        static func project() throws -> String {
            let root = Repository.temporaryDirectory()
            let fm = FileManager.default
            for folder in ["schemas", "samples", "ratelimits", "platforms", "adapters", "jobs"] {
                try fm.copyItem(atPath: Repository.root.appendingPathComponent(folder).path, toPath: "\(root)/\(folder)")
            }
            return root
        }

        static func mapc(_ args: [String], _ root: String, _ env: [String: String]) -> (Int32, String, String) {
            let io = CapturedIO()
            let code = MapCLI.run(args, io: io, environment: env.merging(["USER": "tester"]) { $1 }, workingDirectory: root)
            return (code, io.stdout, io.stderr)
        }

        @Test("HubSpot contacts sync into Klaviyo profiles through the spec, and a second full sync updates them")
        func hubspotToKlaviyo() throws {
            let root = try Self.project()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let hubspot = try SandboxServer.start(platform: .hubspot, options: SandboxOptions.project(root: URL(fileURLWithPath: root)))
            defer { hubspot.stop() }
            let checked = try SpecChecker.check(path: root + "/adapters/klaviyo.json", root: root)
            let klaviyo = try SpecSandboxServer.start(
                spec: try #require(checked.spec), options: SandboxOptions.project(root: URL(fileURLWithPath: root)))
            defer { klaviyo.stop() }
            let env = [
                "MAPC_HUBSPOT_URL": hubspot.baseURL.absoluteString, "MAPC_HUBSPOT_TOKEN": hubspot.credential,
                "MAPC_KLAVIYO_URL": klaviyo.baseURL.absoluteString, "MAPC_KLAVIYO_TOKEN": klaviyo.credential,
            ]
            let seeded = klaviyo.recordCount(object: "profile")
            let approve = Self.mapc(["approve", "samples/mappings/contacts-to-klaviyo.map", "--by", "tester"], root, env)
            #expect(approve.0 == 0, "\(approve.2)")
            let sync = Self.mapc(["sync", "contacts-to-klaviyo", "--format", "json"], root, env)
            #expect(sync.0 == 0, "\(sync.1)\(sync.2)")
            let summary = try JSONParser.parse(sync.1)
            #expect(summary["state"] == "completed", "\(sync.1)")
            let created = summary["records"]?["created"]?.intValue ?? 0
            // HubSpot's samples hold a few contacts sharing one email: the later ones update the profile.
            let updated = summary["records"]?["updated"]?.intValue ?? 0
            #expect(created > 150, "\(sync.1)")
            #expect(klaviyo.recordCount(object: "profile") == seeded + created)
            #expect(klaviyo.count(object: "profile", field: "properties.source", value: "HubSpot") == created)
            // The secret never shows in what the commands print.
            #expect(!sync.1.contains(klaviyo.credential) && !sync.2.contains(klaviyo.credential))

            let again = Self.mapc(["sync", "contacts-to-klaviyo", "--full", "--format", "json"], root, env)
            #expect(again.0 == 0, "\(again.2)")
            let second = try JSONParser.parse(again.1)
            #expect((second["records"]?["created"]?.intValue ?? 0) == 0, "\(again.1)")
            #expect(second["records"]?["updated"]?.intValue == created + updated, "\(again.1)")
            #expect(klaviyo.recordCount(object: "profile") == seeded + created)
        }
    }
}
