import MapDSL

/// The Measurement Protocol's request rules, checked before sending because `/mp/collect` accepts
/// bad events with a 2xx and silently drops them.
enum GA4Rules {
    /// One problem, in the validation endpoint's vocabulary.
    struct Problem: Sendable, Equatable {
        var code: String
        var message: String
        var fieldPath: String
    }

    static let reservedEvents: Set<String> = [
        "ad_activeview", "ad_click", "ad_exposure", "ad_impression", "ad_query", "ad_reward", "adunit_exposure",
        "app_background", "app_clear_data", "app_exception", "app_install", "app_remove", "app_store_refund",
        "app_store_subscription_cancel", "app_store_subscription_convert", "app_store_subscription_renew",
        "app_update", "app_upgrade", "dynamic_link_app_open", "dynamic_link_app_update", "dynamic_link_first_open",
        "error", "first_open", "first_visit", "in_app_purchase", "notification_dismiss", "notification_foreground",
        "notification_open", "notification_receive", "os_update", "session_start", "session_start_with_rollout",
        "user_engagement",
    ]
    static let reservedPrefixes = ["_", "firebase_", "ga_", "google_", "gtag."]

    /// Problems with one event record (already nested: `name`, `params`, `client_id`, `user_properties`).
    static func problems(_ event: JSONValue) -> [Problem] {
        var out: [Problem] = []
        if event["client_id"]?.stringValue?.isEmpty ?? true, event["app_instance_id"]?.stringValue?.isEmpty ?? true {
            out.append(Problem(code: "VALUE_REQUIRED", message: "Measurement requires a client_id.", fieldPath: "client_id"))
        }
        let name = event["name"]?.stringValue ?? ""
        if name.isEmpty {
            out.append(Problem(code: "VALUE_REQUIRED", message: "Event name is required.", fieldPath: "name"))
        } else if reservedEvents.contains(name) || reservedPrefixes.contains(where: name.hasPrefix) {
            out.append(Problem(code: "NAME_RESERVED", message: "Event name \(name) is reserved.", fieldPath: "name"))
        } else if !validName(name, maxLength: 40) {
            out.append(
                Problem(
                    code: "NAME_INVALID",
                    message:
                        "Event name \(name) is invalid: start with a letter, use letters, digits and underscores, at most 40 characters.",
                    fieldPath: "name"))
        }
        let params = event["params"]?.objectValue ?? []
        if params.count > 25 {
            out.append(
                Problem(code: "EXCEEDED_MAX_ENTITIES", message: "At most 25 params per event (\(params.count)).", fieldPath: "params"))
        }
        for (key, value) in params {
            if !validName(key, maxLength: 40) {
                out.append(Problem(code: "NAME_INVALID", message: "Param name \(key) is invalid.", fieldPath: "params.\(key)"))
            }
            if let text = value.stringValue, text.count > 100, key != "session_id", key != "session_number" {
                out.append(
                    Problem(
                        code: "VALUE_OUT_OF_BOUNDS", message: "Param value is too long (\(text.count) > 100).",
                        fieldPath: "params.\(key)"))
            }
        }
        let properties = event["user_properties"]?.objectValue ?? []
        if properties.count > 25 {
            out.append(
                Problem(code: "EXCEEDED_MAX_ENTITIES", message: "At most 25 user properties.", fieldPath: "user_properties"))
        }
        for (key, value) in properties {
            if !validName(key, maxLength: 24) {
                out.append(
                    Problem(code: "NAME_INVALID", message: "User property name \(key) is invalid.", fieldPath: "user_properties.\(key)"))
            }
            if let text = (value["value"] ?? value).stringValue, text.count > 36 {
                out.append(
                    Problem(
                        code: "VALUE_OUT_OF_BOUNDS", message: "User property value is too long (\(text.count) > 36).",
                        fieldPath: "user_properties.\(key)"))
            }
        }
        return out
    }

    /// `[A-Za-z][A-Za-z0-9_]*`, at most `maxLength` characters.
    static func validName(_ name: String, maxLength: Int) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= maxLength,
            first.isASCII, first.properties.isAlphabetic
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
