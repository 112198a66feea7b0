import Foundation
import HTTPServer
import MapDSL
import MapGen

/// A scripted LLM endpoint on 127.0.0.1: answers requests with queued responses, records what it got.
final class FakeLLMServer: @unchecked Sendable {
    enum Step {
        case respond(Response)
        /// Answers after `seconds`, or as soon as the server stops.
        case delay(Double, Response)
        /// Never answers: holds the request until the server stops.
        case stall
    }

    private let lock = NSLock()
    /// Signalled once per held request when the server stops, so stalled handlers return.
    private let release = DispatchSemaphore(value: 0)
    private var held = 0
    private var script: [Step]
    private(set) var requests: [Request] = []
    private var server: HTTPServer!

    init(_ script: [Step]) throws {
        self.script = script
        var router = Router()
        router.fallback { [unowned self] request in self.handle(request) }
        server = try HTTPServer.start(router: router)
    }

    var url: String { server.baseURL.absoluteString }

    var received: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    func stop() {
        lock.lock()
        let n = held
        held = 0
        lock.unlock()
        for _ in 0..<n { release.signal() }
        server.stop(timeout: 5)
    }

    private func handle(_ request: Request) -> Response {
        lock.lock()
        requests.append(request)
        let step = script.isEmpty ? Step.respond(.text("script exhausted", status: 500)) : script.removeFirst()
        if case .respond = step {} else { held += 1 }
        lock.unlock()
        switch step {
        case .respond(let r): return r
        case .delay(let seconds, let r):
            // A slow model: the answer comes after `seconds` unless the test ends first.
            _ = release.wait(timeout: .now() + seconds)
            return r
        case .stall:
            release.wait()
            return .text("released", status: 503)
        }
    }

    /// An OpenAI chat completion carrying `content`.
    static func openAI(_ content: String) -> Response {
        json(.object([("choices", .array([.object([("message", .object([("role", "assistant"), ("content", .string(content))]))])]))]))
    }

    static func json(_ v: JSONValue, status: Int = 200) -> Response {
        Response(status: status, headerFields: [("Content-Type", "application/json")], body: Data(JSONWriter.compact(v).utf8))
    }
}

/// Paths and loaders shared by the tests.
enum Fixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let schemas = SchemaDirectory(root: root + "/schemas")

    static func schema(_ name: String) -> Schema {
        let p = name.split(separator: ".").map(String.init)
        return try! schemas.schema(platform: p[0], object: p[1])!
    }

    static func templates() -> PromptTemplates {
        try! PromptTemplates.load(directory: root + "/prompts")
    }

    static func tempDirectory() -> String {
        let dir = NSTemporaryDirectory() + "mapgen-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let leadsProse = ProseDocument.parse(
        """
        from: hubspot.contact
        to: salesforce.Lead

        Upsert leads on HubSpot_Contact_Id__c from hs_object_id. Email is the trimmed email. Status is "Open - Not Contacted".
        """)

    static let clean = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c  # [S1]
        HubSpot_Contact_Id__c = hs_object_id  # [S1]
        Email = trim(email)  # [S2]
        Company = company ?? "Unknown"
        LastName = lastname ?? "Unknown"
        Status = "Open - Not Contacted"  # [S3]
        """
}
