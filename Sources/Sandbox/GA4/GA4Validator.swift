import Foundation

/// The Measurement Protocol's request rules, reported as `validationMessages` entries.
enum GA4Validator {
    /// Event names GA4 reserves.
    static let reservedEvents: Set<String> = [
        "ad_activeview", "ad_click", "ad_exposure", "ad_impression", "ad_query", "ad_reward", "adunit_exposure",
        "app_background", "app_clear_data", "app_exception", "app_install", "app_remove", "app_store_refund",
        "app_store_subscription_cancel", "app_store_subscription_convert", "app_store_subscription_renew",
        "app_update", "app_upgrade", "dynamic_link_app_open", "dynamic_link_app_update",
        "dynamic_link_first_open", "error", "first_open", "first_visit", "in_app_purchase",
        "notification_dismiss", "notification_foreground", "notification_open", "notification_receive",
        "os_update", "session_start", "session_start_with_rollout", "user_engagement",
    ]
    static let reservedPrefixes = ["_", "firebase_", "ga_", "google_", "gtag."]

    /// Problems with a collect body; empty when GA4 would record every event.
    static func validate(_ body: JSONValue?, maxEvents: Int) -> [JSONValue] {
        guard let body, let fields = body.objectValue else {
            return [message("", "Unable to parse Measurement Protocol JSON payload.", "VALUE_INVALID")]
        }
        var messages: [JSONValue] = []
        if fields["client_id"]?.textValue == nil && fields["app_instance_id"]?.textValue == nil {
            messages.append(message("client_id", "Measurement requires a client_id.", "VALUE_REQUIRED"))
        }
        let events = fields["events"]?.arrayValue ?? []
        if events.isEmpty {
            messages.append(message("events", "Measurement requires at least one event.", "VALUE_REQUIRED"))
        }
        if events.count > maxEvents {
            messages.append(
                message("events", "A maximum of \(maxEvents) events can be specified per request.", "EXCEEDED_MAX_ENTITIES"))
        }
        for (index, event) in events.prefix(maxEvents).enumerated() {
            messages += eventProblems(event, path: "events[\(index)]")
        }
        if let properties = fields["user_properties"]?.objectValue {
            if properties.count > 25 {
                messages.append(
                    message("user_properties", "A maximum of 25 user properties can be specified.", "EXCEEDED_MAX_ENTITIES"))
            }
            for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
                if !isValidName(name, maxLength: 24) {
                    messages.append(message("user_properties", "User property name \(name) is invalid.", "NAME_INVALID"))
                }
                if let text = (value["value"] ?? value).textValue, text.count > 36 {
                    messages.append(
                        message("user_properties.\(name)", "User property value is too long (\(text.count) > 36).", "VALUE_OUT_OF_BOUNDS"))
                }
            }
        }
        return messages
    }

    /// Problems with one event (name rules, parameter count, names and value lengths).
    static func eventProblems(_ event: JSONValue, path: String) -> [JSONValue] {
        var messages: [JSONValue] = []
        let name = event["name"]?.stringValue ?? ""
        if name.isEmpty {
            messages.append(message("\(path).name", "Event name is required.", "VALUE_REQUIRED"))
        } else if reservedEvents.contains(name) || reservedPrefixes.contains(where: name.hasPrefix) {
            messages.append(message("\(path).name", "Event name \(name) is reserved.", "NAME_RESERVED"))
        } else if !isValidName(name, maxLength: 40) {
            messages.append(
                message(
                    "\(path).name",
                    "Event name \(name) is invalid. Names must start with a letter, use only letters, numbers and underscores, and be at most 40 characters.",
                    "NAME_INVALID"))
        }
        let params = event["params"]?.objectValue ?? [:]
        if params.count > 25 {
            messages.append(message("\(path).params", "A maximum of 25 params can be specified per event.", "EXCEEDED_MAX_ENTITIES"))
        }
        for (key, value) in params.sorted(by: { $0.key < $1.key }) {
            if !isValidName(key, maxLength: 40) {
                messages.append(message("\(path).params", "Param name \(key) is invalid.", "NAME_INVALID"))
            }
            if let text = value.stringValue, text.count > 100, key != "session_id", key != "session_number" {
                messages.append(
                    message("\(path).params.\(key)", "Param value is too long (\(text.count) > 100).", "VALUE_OUT_OF_BOUNDS"))
            }
        }
        return messages
    }

    static func isValidName(_ name: String, maxLength: Int) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= maxLength,
            CharacterSet.letters.contains(first), first.isASCII
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }
    }

    static func message(_ fieldPath: String, _ description: String, _ code: String) -> JSONValue {
        ["fieldPath": .string(fieldPath), "description": .string(description), "validationCode": .string(code)]
    }
}
