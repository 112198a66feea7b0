// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mapc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mapc", targets: ["mapc"]),
        .executable(name: "mapc-fuzz", targets: ["mapc-fuzz"]),
        .library(name: "MapDSL", targets: ["MapDSL"]),
    ],
    targets: [
        // The mapping language: schemas, lexer, parser, checker, compiler, evaluator, formatter.
        .target(name: "MapDSL", dependencies: ["Crypto", "MapcSupport"]),
        // Small helpers every target may use: the secret redactor and the `Locked` value wrapper.
        .target(name: "MapcSupport"),
        .testTarget(name: "MapcSupportTests", dependencies: ["MapcSupport"]),
        // The command-line front: parses arguments, calls libraries, prints.
        .target(
            name: "MapCLI", dependencies: ["MapDSL", "MapReview", "MapGen", "SyncEngine", "Adapters", "Sandbox", "Observe", "Webhooks", "AdapterSpec", "Crypto"]),
        .executableTarget(name: "mapc", dependencies: ["MapCLI"]),
        // Seeded mutation fuzzing of everything that reads input from the world (`make fuzz`).
        .executableTarget(
            name: "mapc-fuzz", dependencies: ["MapDSL", "MapGen", "Webhooks", "SyncEngine", "Adapters", "Sandbox", "HTTPServer", "MapcSupport"],
            path: "Sources/MapFuzz"),
        .target(name: "TestSupport", dependencies: ["MapDSL"], path: "Tests/TestSupport"),
        .testTarget(name: "MapDSLTests", dependencies: ["MapDSL", "TestSupport"], exclude: ["Fixtures", "Golden"]),
        // Also runs the built `mapc` and `mapc-fuzz` as child processes (hostile input, crashes, fuzzing).
        .testTarget(name: "MapCLITests", dependencies: ["MapCLI", "MapDSL", "MapReview", "MapGen", "Crypto", "TestSupport", "mapc", "mapc-fuzz"], exclude: ["Golden"]),

        // --- sync engine ---
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SyncEngine", dependencies: ["MapDSL", "MapReview", "Crypto", "CSQLite", "CPostgres"]),
        .testTarget(name: "SyncEngineTests", dependencies: ["SyncEngine", "MapDSL", "TestSupport"], exclude: ["Golden"]),
        // Kills `mapc sync` with SIGKILL at many points of a 10,000-record sync between emulators.
        .testTarget(name: "SyncCrashTests", dependencies: ["SyncEngine", "MapDSL", "Crypto", "Sandbox", "TestSupport", "mapc"]),
        // --- end sync engine section ---

        // --- HTTP server and sandbox ---
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD"]),
        // zlib, for the gzip and deflate request bodies the emulated platforms accept.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Sandbox", dependencies: ["HTTPServer", "MapDSL", "MapcSupport", "Crypto", "CZlib", "AdapterSpec"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "HTTPServer", "MapDSL", "Crypto", "CZlib", "AdapterSpec"], exclude: ["Fixtures"]),
        // --- end HTTP server and sandbox section ---

        // --- review and approval ---
        // OpenSSL libcrypto, used through the Crypto target only.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // SHA-256, MD5, HMAC, PBKDF2, constant-time comparison, random tokens and base64url over libcrypto.
        .target(name: "Crypto", dependencies: ["CCrypto"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        // Approvals: mappings.lock, hashing, and the gate the sync engine asks before running a mapping.
        .target(name: "MapReview", dependencies: ["MapDSL", "Crypto"]),
        .testTarget(name: "MapReviewTests", dependencies: ["MapReview", "MapDSL", "Crypto"], exclude: ["Golden"]),
        // --- end review and approval section ---

        // --- generation ---
        // Prose -> mapping through an LLM endpoint or the offline matcher; prompts, grammar, cache.
        // libcurl (CCurl, declared with the adapters) waits for the endpoint in poll(2), costing no CPU.
        .target(name: "MapGen", dependencies: ["MapDSL", "MapcSupport", "Crypto", "CCurl"]),
        .testTarget(name: "MapGenTests", dependencies: ["MapGen", "MapDSL", "MapReview", "Crypto", "HTTPServer"]),
        // --- end generation section ---

        // --- platform adapters ---
        // HubSpot, Salesforce, Mailchimp, Segment, GA4 over their wire formats (libcurl), JSONL and SQLite.
        // libcurl's easy interface, through a shim for its variadic option setters.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "Adapters", dependencies: ["SyncEngine", "MapDSL", "MapcSupport", "Crypto", "CSQLite", "CCurl", "CZlib", "AdapterSpec"],
            exclude: ["Declarative/Spec"]),
        // Declarative adapter specs (adapters/*.json): model, typed checker, JSON Schema; shared by the
        // generic adapter and the spec-driven sandbox emulator.
        .target(name: "AdapterSpec", dependencies: ["MapDSL", "Crypto"], path: "Sources/Adapters/Declarative/Spec"),
        // Conformance of every adapter against its sandbox emulator over loopback HTTP; limiter tests.
        .testTarget(
            name: "AdaptersTests",
            dependencies: ["Adapters", "SyncEngine", "MapDSL", "MapcSupport", "Crypto", "Sandbox", "MapCLI", "HTTPServer", "AdapterSpec", "TestSupport"],
            exclude: ["Golden"]),
        // --- end platform adapters section ---

        // --- observability ---
        // Metrics, "is this normal?", wedged detection, alerts and the web dashboard served by `mapc serve`.
        .target(name: "Observe", dependencies: ["SyncEngine", "MapDSL", "MapReview", "MapcSupport", "HTTPServer", "Crypto"]),
        // Unit tests plus browser tests that drive headless Chromium over the DevTools protocol.
        .testTarget(
            name: "ObserveTests",
            dependencies: ["Observe", "SyncEngine", "MapDSL", "Crypto", "HTTPServer", "TestSupport", "mapc", "Sandbox", "MapcSupport"],
            exclude: ["Browser"]),
        // --- end observability section ---

        // --- webhooks ---
        // Per-platform receivers (signatures, parsing, normalisation), the HTTP door and `mapc serve`'s host;
        // the durable inbox, triggers and echo suppression live in SyncEngine/Inbox.
        .target(name: "Webhooks", dependencies: ["SyncEngine", "MapDSL", "HTTPServer", "Crypto"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "SyncEngine", "MapDSL", "HTTPServer", "MapCLI", "TestSupport"]),
        // --- end webhooks section ---

        // --- PostgreSQL store ---
        // libpq, for the event store on PostgreSQL (`--store postgres://…`) that several workers share.
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // --- end PostgreSQL store section ---
    ],
    swiftLanguageModes: [.v6]
)
