@testable import Sandbox

/// The sandbox's JSON value under a name of its own: files that also import MapDSL cannot spell it
/// `Sandbox.JSONValue`, because the module has an enum called `Sandbox`.
typealias SandboxJSON = JSONValue
