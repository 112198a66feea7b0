// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mapc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mapc", targets: ["mapc"]),
        .library(name: "MapDSL", targets: ["MapDSL"]),
    ],
    targets: [
        // The mapping language: schemas, lexer, parser, checker, compiler, evaluator, formatter.
        .target(name: "MapDSL"),
        // The command-line front: parses arguments, calls libraries, prints.
        .target(name: "MapCLI", dependencies: ["MapDSL"]),
        .executableTarget(name: "mapc", dependencies: ["MapCLI"]),
        .target(name: "TestSupport", dependencies: ["MapDSL"], path: "Tests/TestSupport"),
        .testTarget(name: "MapDSLTests", dependencies: ["MapDSL", "TestSupport"]),
        .testTarget(name: "MapCLITests", dependencies: ["MapCLI", "MapDSL", "TestSupport"]),

        // --- HTTP server and sandbox (section owned by the HTTP/sandbox work) ---
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD"]),
        .target(name: "Sandbox", dependencies: ["HTTPServer"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "HTTPServer"], exclude: ["Fixtures"]),
        // --- end HTTP server and sandbox section ---
    ],
    swiftLanguageModes: [.v6]
)
