import Adapters
import Foundation
import MapCLI
import MapDSL
import Sandbox
import Testing

extension AdaptersTestSuite {
    /// `mapc schema pull` against the sandbox reproduces the shipped schema files, except for what a
    /// platform's describe endpoint cannot express (listed here and in docs/adapters.md).
    @Suite("mapc schema pull")
    struct SchemaPullTests {
        /// Known differences, as `object.field: attribute`, that come from the sandbox's describe
        /// emulation rather than from the adapter: Salesforce sends `defaultedOnCreate: true` for
        /// `OwnerId` (the owner defaults to the caller), the emulator's describe omits it, so the
        /// non-nillable `OwnerId` reads as required.
        static let emulatorGaps: Set<String> = ["Account.OwnerId: required", "Contact.OwnerId: required", "Lead.OwnerId: required"]

        static let cases: [(SandboxPlatform, String)] = [
            (.hubspot, "contact"), (.hubspot, "company"), (.salesforce, "Account"), (.salesforce, "Contact"),
            (.salesforce, "Lead"),
        ]

        /// Field-by-field differences of the attributes a describe endpoint should carry.
        static func differences(shipped: Schema, pulled: Schema) -> [String] {
            var out: [String] = []
            if shipped.fields.map(\.name) != pulled.fields.map(\.name) {
                out.append("\(shipped.object): field names or order")
            }
            for field in shipped.fields {
                let at = "\(shipped.object).\(field.name)"
                guard let other = pulled.field(field.name) else {
                    out.append("\(at): missing")
                    continue
                }
                // HubSpot's properties endpoint has a single `number` type: integers and ids (other than
                // hs_object_id) come back as decimals. Not expressible, so not a difference.
                let hubspotNumber = shipped.platform == "hubspot" && other.type == .decimal && [.int, .id].contains(field.type)
                if field.type != other.type && !hubspotNumber { out.append("\(at): type") }
                if field.required != other.required { out.append("\(at): required") }
                if field.values != other.values { out.append("\(at): values") }
                if field.maxLength != other.maxLength { out.append("\(at): maxLength") }
                if field.readOnly != other.readOnly { out.append("\(at): readOnly") }
                if field.externalId != other.externalId { out.append("\(at): externalId") }
            }
            return out
        }

        @Test("pulled schemas match the shipped files", arguments: cases)
        func pull(_ platform: SandboxPlatform, _ object: String) throws {
            let server = try SandboxServer.start(platform: platform, options: .project(root: Repository.root))
            defer { server.stop() }
            let output = Repository.temporaryDirectory() + "/\(object).json"
            let io = CapturedIO()
            let prefix = "MAPC_\(platform.rawValue.uppercased())_"
            let code = MapCLI.run(
                ["schema", "pull", platform.rawValue, object, "-o", output], io: io,
                environment: [prefix + "URL": server.baseURL.absoluteString, prefix + "TOKEN": server.credential],
                workingDirectory: Repository.root.path)
            #expect(code == 0, "\(io.stderr)")
            #expect(!io.stderr.contains(server.credential))
            let pulled = try SchemaLoader.load(path: output)
            let shipped = try SchemaLoader.load(path: "\(Repository.schemas)/\(platform.rawValue)/\(object).json")
            #expect(pulled.platform == shipped.platform && pulled.object == shipped.object)
            let unexpected = Self.differences(shipped: shipped, pulled: pulled).filter { !Self.emulatorGaps.contains($0) }
            #expect(unexpected.isEmpty, "\(unexpected)")
        }

        @Test("platforms without a describe endpoint say so")
        func noDescribe() throws {
            let server = try SandboxServer.start(platform: .segment, options: .project(root: Repository.root))
            defer { server.stop() }
            let io = CapturedIO()
            let code = MapCLI.run(
                ["schema", "pull", "segment", "track"], io: io,
                environment: ["MAPC_SEGMENT_URL": server.baseURL.absoluteString, "MAPC_SEGMENT_TOKEN": server.credential],
                workingDirectory: Repository.root.path)
            #expect(code == 3)
            #expect(io.stderr.contains("no describe endpoint"))
        }
    }
}
