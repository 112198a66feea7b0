import Foundation
import MapCLI
import MapDSL
import Testing

extension AdaptersTestSuite {
    /// `mapc adapter check|test|schema` and `mapc sandbox` for spec platforms, as a user runs them.
    @Suite("mapc adapter")
    struct DeclarativeCommandTests {
        static func mapc(_ args: [String], env: [String: String] = [:]) -> (code: Int32, out: String, err: String) {
            let io = CapturedIO()
            let code = MapCLI.run(args, io: io, environment: env, workingDirectory: Repository.root.path)
            return (code, io.stdout, io.stderr)
        }

        @Test("check: clean specs exit 0; the broken one exits 1 with line:col diagnostics, also as JSON")
        func check() throws {
            let clean = Self.mapc(["adapter", "check", "adapters/klaviyo.json", "adapters/mailchimp.json"])
            #expect(clean.code == 0, "\(clean.out)")
            #expect(clean.out == "ok: 2 specs checked: 0 errors, 0 warnings\n")
            let broken = Self.mapc(["adapter", "check", "Tests/AdaptersTests/Golden/DeclarativeSpec/broken.json"])
            #expect(broken.code == 1)
            #expect(broken.out.contains("broken.json:5:20: error[A0204]: 'basik' is not a valid spec.auth.type"))
            let json = Self.mapc(["adapter", "check", "--format", "json", "Tests/AdaptersTests/Golden/DeclarativeSpec/broken.json"])
            let parsed = try JSONParser.parse(json.out)
            #expect(parsed["errors"]?.intValue == 13)
            let first = parsed["files"]?.arrayValue?.first?["diagnostics"]?.arrayValue?.first
            #expect(first?["fix"] == "\"basic\"" && first?["line"] == 5 && first?["column"] == 20)
            #expect(Self.mapc(["adapter", "check"]).code == 2)
            // The shell's adapters/*.json includes the JSON Schema: it is skipped, not reported.
            let glob = Self.mapc(["adapter", "check", "adapters/mapc-adapter.schema.json", "adapters/intercom.json"])
            #expect(glob.code == 0 && glob.out == "ok: 1 spec checked: 0 errors, 0 warnings\n", "\(glob.out)")
            #expect(Self.mapc(["adapter", "frobnicate"]).code == 2)
            #expect(Self.mapc(["adapter", "check", "adapters/nothing.json"]).code != 0)
        }

        @Test("test: the conformance suite passes against the generated Klaviyo emulator")
        func conformance() throws {
            let run = Self.mapc(["adapter", "test", "adapters/klaviyo.json", "--format", "json"])
            #expect(run.code == 0, "\(run.out)\(run.err)")
            let report = try JSONParser.parse(run.out)
            #expect(report["failed"]?.intValue == 0)
            #expect(report["checks"]?.arrayValue?.count == 7)
            #expect(!run.out.contains("sandbox-klaviyo-key"))
        }

        @Test("test --url against an unreachable endpoint fails with a message, not a crash")
        func unreachable() {
            let run = Self.mapc(
                ["adapter", "test", "adapters/klaviyo.json", "--url", "http://127.0.0.1:9"],
                env: ["MAPC_KLAVIYO_TOKEN": "pk_secret_value_123"])
            #expect(run.code == 1)
            #expect(run.out.contains("FAIL"))
            #expect(!run.out.contains("pk_secret_value_123") && !run.err.contains("pk_secret_value_123"))
        }

        @Test("schema prints the JSON Schema file's text")
        func schema() throws {
            let run = Self.mapc(["adapter", "schema"])
            #expect(run.code == 0)
            #expect(
                run.out
                    == (try String(
                        contentsOfFile: Repository.root.appendingPathComponent("adapters/mapc-adapter.schema.json").path, encoding: .utf8)))
        }

        @Test("sandbox starts the emulator generated from a spec and prints its variables")
        func sandbox() {
            let run = Self.mapc(["sandbox", "--platform", "klaviyo", "--debug-exit-after", "0.2"])
            #expect(run.code == 0, "\(run.err)")
            #expect(run.out.contains("export MAPC_KLAVIYO_URL=http://127.0.0.1:"))
            #expect(run.out.contains("export MAPC_KLAVIYO_TOKEN=sandbox-klaviyo-key"))
            #expect(!run.out.contains("MAPC_HUBSPOT"))
        }

        @Test("the generator writes a checked mapping into a spec-only platform, from its bundled schema")
        func generate() throws {
            let out = Repository.temporaryDirectory() + "/k.map"
            let run = Self.mapc(["gen", "samples/mappings/contacts-to-klaviyo.txt", "--offline", "--no-cache", "-o", out])
            #expect(run.code == 0, "\(run.err)")
            let text = try String(contentsOfFile: out, encoding: .utf8)
            #expect(text.contains("mapping hubspot.contact -> klaviyo.profile"))
            #expect(text.contains("properties.source") && text.contains("= \"HubSpot\""))
            #expect(Self.mapc(["check", out]).code == 0)
        }
    }
}
