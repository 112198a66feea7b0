import Foundation
import SyncEngine

/// Who runs a command, for the audit trail: the operating-system account, or a name given with
/// `--by` or `$MAPC_ACTOR`, which the store records as self-declared (nobody checked it).
enum CLIPrincipal {
    /// `--by NAME` for the commands that record an operator action.
    static func byOption(_ what: String) -> OptionSpec {
        OptionSpec(
            "by", value: "NAME",
            help: "Record \(what) under NAME, marked self-declared (default: your operating-system account).")
    }

    /// `--by`, else `$MAPC_ACTOR` (both self-declared), else the account running the command.
    static func resolve(by: String?, _ ctx: CommandContext) -> Principal {
        if let by = by?.trimmingCharacters(in: .whitespaces), !by.isEmpty { return Principal(String(by.prefix(64)), proof: .declared) }
        if let env = ctx.environment["MAPC_ACTOR"]?.trimmingCharacters(in: .whitespaces), !env.isEmpty {
            return Principal(String(env.prefix(64)), proof: .declared)
        }
        return Principal(osUser, proof: .osUser)
    }

    /// The name of the effective user, from the password database (not `$USER`, which anyone can set).
    static var osUser: String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid-\(uid)"
    }
}
