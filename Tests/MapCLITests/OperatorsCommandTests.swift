import Foundation
import MapCLI
import MapDSL
import Testing

/// `mapc operators`: the file it writes is private, holds no password, and what a running console
/// reads; tokens are printed once; mistakes are usage errors with a hint.
@Suite struct OperatorsCommandTests {
    func mapc(_ args: [String], input: String? = nil, env: [String: String]) -> (code: Int32, out: String, err: String) {
        let io = CapturedIO()
        let code = MapCLI.run(args, io: io, environment: env, workingDirectory: NSTemporaryDirectory(), input: input.map { Data($0.utf8) })
        return (code, io.stdout, io.stderr)
    }

    @Test func addListTokenAndRemove() throws {
        let dir = NSTemporaryDirectory() + "operators-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["XDG_CONFIG_HOME": dir, "HOME": "/nonexistent"]
        let path = dir + "/mapc/operators.json"
        let added = mapc(["operators", "add", "ada", "--password-stdin"], input: "a long enough password\n", env: env)
        #expect(added.code == 0, "\(added.err)")
        #expect(added.err.contains("added operator ada (operator) in \(path)"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("a long enough password") && text.contains("pbkdf2-sha256$600000$"))
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let scraper = mapc(["operators", "add", "prometheus", "--role", "read-only", "--no-password", "--token"], env: env)
        #expect(scraper.code == 0, "\(scraper.err)")
        let token = scraper.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("mapc_") && token.count > 40)
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains(token), "only the token's digest is stored")

        let list = mapc(["operators", "list", "--format", "json"], env: env)
        let json = try JSONParser.parse(list.out)
        #expect(json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["ada", "prometheus"])
        #expect(json.arrayValue?.last?["role"]?.stringValue == "read-only" && json.arrayValue?.last?["tokens"]?.intValue == 1)
        #expect(!list.out.contains(token) && !list.out.contains("pbkdf2"))

        #expect(mapc(["operators", "add", "ada", "--password-stdin"], input: "another long one\n", env: env).code == 2, "exists")
        let short = mapc(["operators", "add", "bo", "--password-stdin"], input: "short\n", env: env)
        #expect(short.code == 2 && short.err.contains("shorter than 10"))
        let noTTY = mapc(["operators", "add", "cy"], env: env)
        #expect(noTTY.code == 2 && noTTY.err.contains("--password-stdin"))
        let typo = mapc(["operators", "remvoe", "ada"], env: env)
        #expect(typo.code == 2 && typo.err.contains("did you mean 'mapc operators remove'"))
        #expect(mapc(["operators", "remove", "ada"], env: env).code == 0)
        #expect(mapc(["operators", "remove", "ada"], env: env).code == 2, "already gone")
        #expect(mapc(["operators", "--help"], env: env).out.contains("Usage: mapc operators add NAME"))
    }
}
