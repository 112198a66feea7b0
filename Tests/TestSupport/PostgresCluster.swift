import Foundation

/// A throw-away PostgreSQL cluster for the tests: `initdb` into a temporary directory, run as the
/// `postgres` system user when the tests run as root, listening on 127.0.0.1 (a free port) and on a
/// socket in that directory only; started once per test process and stopped when it exits.
/// `MAPC_TEST_PG_URL` names an existing server instead.
public enum PostgresCluster {
    /// The cluster's URL (superuser `mapc`, database `postgres`), or why there is none.
    public static let url: Result<String, Unavailable> = {
        if let given = ProcessInfo.processInfo.environment["MAPC_TEST_PG_URL"], !given.isEmpty { return .success(given) }
        do {
            return .success(try start())
        } catch let error as Unavailable {
            return .failure(error)
        } catch {
            return .failure(Unavailable(reason: "cannot start a PostgreSQL cluster: \(error)", installed: true))
        }
    }()

    /// Why no cluster is available. `installed` is false when PostgreSQL is not installed
    /// (`make deps` installs it); tests that need the cluster fail with the reason either way.
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var installed: Bool
        public var description: String { reason }
    }

    /// Whether PostgreSQL's server programs are installed here.
    public static var isInstalled: Bool { binDirectory() != nil || ProcessInfo.processInfo.environment["MAPC_TEST_PG_URL"] != nil }

    /// A URL on the cluster whose store lives in a schema of its own (`search_path`), which mapc
    /// creates on first use: every test gets an empty store.
    public static func freshStoreURL(_ label: String = "t") throws -> String {
        let base = try url.get()
        let schema = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
        let separator = base.contains("?") ? "&" : "?"
        return base + separator + "options=-csearch_path%3D" + schema
    }

    /// The `bin` directory of the newest installed PostgreSQL.
    static func binDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") {
            return "\(root)/\(v)/bin"
        }
        return nil
    }

    /// The throw-away cluster's superuser password (it listens on loopback only, for this process).
    public static let password = "pw-\(UUID().uuidString.prefix(12))"

    nonisolated(unsafe) private static var directory: String?
    nonisolated(unsafe) private static var bin: String?

    private static func start() throws -> String {
        guard let bin = binDirectory() else {
            throw Unavailable(reason: "PostgreSQL is not installed (make deps installs the postgresql package)", installed: false)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let root = getuid() == 0
        if root {
            guard let pw = getpwnam("postgres") else {
                throw Unavailable(reason: "running as root and there is no postgres user to run the cluster as", installed: true)
            }
            guard chown(dir, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else {
                throw Unavailable(reason: "cannot hand \(dir) to the postgres user", installed: true)
            }
        }
        // Password authentication over TCP (the tests check that a wrong password never shows), trust on the socket.
        let passwordFile = "\(dir)/password"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if root, let pw = getpwnam("postgres") { _ = chown(passwordFile, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        try run(
            root, "\(bin)/initdb",
            [
                "-D", "\(dir)/data", "-U", "mapc", "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E",
                "UTF8",
                "--locale=C", "--no-sync",
            ], in: dir)
        var lastError = ""
        for _ in 0..<5 {
            let port = try freePort()
            let options =
                "-c listen_addresses=127.0.0.1 -p \(port) -c unix_socket_directories=\(dir) -c fsync=off -c synchronous_commit=off"
                + " -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"
            do {
                try run(
                    root, "\(bin)/pg_ctl", ["-D", "\(dir)/data", "-o", options, "-l", "\(dir)/log", "-w", "-t", "60", "start"], in: dir)
                directory = dir
                Self.bin = bin
                atexit { PostgresCluster.stop() }
                return "postgres://mapc:\(password)@127.0.0.1:\(port)/postgres"
            } catch {
                lastError = "\(error): " + ((try? String(contentsOfFile: "\(dir)/log", encoding: .utf8)) ?? "").suffix(2000)
            }
        }
        throw Unavailable(reason: "PostgreSQL did not start: \(lastError)", installed: true)
    }

    /// Stops the cluster and removes its directory.
    static func stop() {
        guard let dir = directory, let bin else { return }
        try? run(getuid() == 0, "\(bin)/pg_ctl", ["-D", "\(dir)/data", "-m", "immediate", "-w", "stop"], in: dir)
        try? FileManager.default.removeItem(atPath: dir)
        directory = nil
    }

    /// Runs a PostgreSQL program (as the postgres user under root); throws with its output when it
    /// fails. posix_spawn and waitpid, not Foundation's Process: its exit notification can wait on a
    /// run loop the test's thread never runs.
    private static func run(_ asPostgres: Bool, _ program: String, _ arguments: [String], in dir: String) throws {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        // Output goes to a file, not a pipe: the server pg_ctl starts would hold a pipe open for good.
        let outputPath = "\(dir)/\((program as NSString).lastPathComponent).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw Unavailable(reason: "cannot run \(argv[0]): \(String(cString: strerror(rc)))", installed: true) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw Unavailable(reason: "\((program as NSString).lastPathComponent) failed: \(text.suffix(2000))", installed: true)
        }
    }

    /// A TCP port on 127.0.0.1 nothing listens on right now.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(reason: "socket() failed", installed: true) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw Unavailable(reason: "cannot find a free port", installed: true) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Where a parameterised store test keeps its event store: SQLite in memory (the default) or a
/// fresh schema on the test cluster. Both kinds always run: without PostgreSQL's server programs
/// the PostgreSQL cases fail with the reason (`make deps` installs them), they are never skipped.
public enum StoreKind: String, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// Every kind a store test runs against.
    public static let all: [StoreKind] = [.sqlite, .postgres]

    /// A new, empty store location of this kind; for PostgreSQL throws why the test cluster is
    /// unavailable (not installed, did not start).
    public func location(_ label: String = "store") throws -> String {
        switch self {
        case .sqlite: ":memory:"
        case .postgres: try PostgresCluster.freshStoreURL(label)
        }
    }

    public var description: String { rawValue }
}
