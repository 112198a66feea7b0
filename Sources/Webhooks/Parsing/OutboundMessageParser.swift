import Foundation
import MapDSL

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A parsed Salesforce Outbound Message (`notifications` in `http://soap.sforce.com/2005/09/outbound`).
public struct OutboundMessage: Sendable {
    /// One `Notification`: its id and the sObject's type and fields.
    public struct Notification: Sendable {
        /// The notification id (stable across Salesforce's retries: the deduplication key).
        public var id: String
        /// The sObject type from `xsi:type` (`Lead`), without its namespace prefix.
        public var objectType: String
        /// The sObject's fields in document order; `nil` for `xsi:nil="true"`.
        public var fields: [(name: String, value: String?)]
    }

    /// The sending organisation's id.
    public var organizationId: String
    /// The outbound message's action id.
    public var actionId: String
    /// The notifications, in document order.
    public var notifications: [Notification]
}

/// Parses Salesforce Outbound Message SOAP envelopes with Foundation's `XMLParser` (no external
/// entities are resolved).
public enum OutboundMessageParser {
    static let outboundNamespace = "http://soap.sforce.com/2005/09/outbound"
    /// Deepest element nesting accepted (a message is 6 levels deep to an sObject's fields).
    static let maxDepth = 32
    /// Most Notifications in one message (Salesforce sends up to 100).
    static let maxNotifications = 100
    /// Most fields of one sObject.
    static let maxFields = 2000
    static let instanceNamespace = "http://www.w3.org/2001/XMLSchema-instance"

    /// The message in `data`, or a one-line reason why it is not one.
    ///
    /// Checked before the XML parser sees it: the body is UTF-8 (Foundation's parser traps on an
    /// element name that is not, which took the whole server down, unauthenticated), declares no
    /// other encoding, and has no document type declaration (SOAP 1.1 forbids one; refusing it
    /// rules out entity expansion).
    public static func parse(_ data: Data) -> Result<OutboundMessage, ParseFailure> {
        let bytes = Array(data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return .failure(ParseFailure("body is not UTF-8 text"))
        }
        let prolog = String(decoding: bytes.prefix(256), as: UTF8.self).lowercased()
        if prolog.hasPrefix("<?xml"), let end = prolog.range(of: "?>"), let encoding = prolog[..<end.lowerBound].range(of: "encoding") {
            let declared = prolog[encoding.upperBound..<end.lowerBound].drop { " =\"'\t\r\n".contains($0) }
            guard declared.hasPrefix("utf-8") || declared.hasPrefix("utf8") else {
                return .failure(ParseFailure("the XML declaration names an encoding other than UTF-8"))
            }
        }
        if contains(bytes, Array("<!DOCTYPE".utf8)) {
            return .failure(ParseFailure("a SOAP message may not contain a document type declaration"))
        }
        let delegate = Collector()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let parsed = parser.parse()
        if let limit = delegate.limitReached { return .failure(ParseFailure(limit)) }
        guard parsed else {
            let line = parser.lineNumber
            return .failure(ParseFailure("body is not well-formed XML (line \(line))"))
        }
        guard delegate.sawNotifications else {
            return .failure(ParseFailure("no <notifications> element in namespace \(outboundNamespace)"))
        }
        // libxml2 may report a truncated document as parsed: insist on the closing tag.
        guard delegate.closedNotifications, delegate.stackIsEmpty else {
            return .failure(ParseFailure("body is not well-formed XML (truncated: <notifications> is never closed)"))
        }
        guard !delegate.notifications.isEmpty else { return .failure(ParseFailure("<notifications> holds no Notification")) }
        guard let org = delegate.organizationId, !org.isEmpty else {
            return .failure(ParseFailure("<notifications> has no OrganizationId"))
        }
        if let bad = delegate.notifications.firstIndex(where: { $0.id.isEmpty }) {
            return .failure(ParseFailure("Notification \(bad + 1) has no Id"))
        }
        return .success(
            OutboundMessage(organizationId: org, actionId: delegate.actionId ?? "", notifications: delegate.notifications))
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == first, Array(haystack[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }

    /// Why a body could not be parsed.
    public struct ParseFailure: Error, Sendable {
        /// One line, safe to send back to the platform.
        public var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var sawNotifications = false
        var closedNotifications = false
        var stackIsEmpty: Bool { stack.isEmpty }
        var organizationId: String?
        var actionId: String?
        var notifications: [OutboundMessage.Notification] = []
        private var stack: [String] = []
        private var text = ""
        private var current: OutboundMessage.Notification?
        private var inSObject = false
        private var sObjectDepth = 0
        private var fieldIsNil = false
        /// Why parsing was stopped early (a limit), if it was.
        var limitReached: String?
        /// Paths of the current sObject that have a field below them.
        private var fieldParents: Set<String> = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            let name = localName(elementName)
            text = ""
            // Bounded before any work that grows with depth or size: a hostile body must not cost
            // more than a few passes over its bytes.
            if stack.count >= OutboundMessageParser.maxDepth {
                return stop(parser, "the XML is nested more than \(OutboundMessageParser.maxDepth) levels deep")
            }
            if current.map({ $0.fields.count >= OutboundMessageParser.maxFields }) == true {
                return stop(parser, "a Notification has more than \(OutboundMessageParser.maxFields) fields")
            }
            if name == "notifications" && namespaceURI == OutboundMessageParser.outboundNamespace {
                sawNotifications = true
            } else if name == "Notification" && sawNotifications {
                fieldParents = []
                guard notifications.count < OutboundMessageParser.maxNotifications else {
                    return stop(parser, "more than \(OutboundMessageParser.maxNotifications) Notifications in one message")
                }
                current = OutboundMessage.Notification(id: "", objectType: "", fields: [])
            } else if name == "sObject" && current != nil {
                inSObject = true
                sObjectDepth = stack.count + 1
                let type = attributeDict.first { localName($0.key) == "type" }?.value ?? ""
                current?.objectType = localName(type)
            } else if inSObject {
                fieldIsNil = attributeDict.contains { localName($0.key) == "nil" && $0.value == "true" }
            }
            stack.append(name)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        private func stop(_ parser: XMLParser, _ reason: String) {
            if limitReached == nil { limitReached = reason }
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            let name = localName(elementName)
            guard limitReached == nil, !stack.isEmpty else { return }
            stack.removeLast()
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if inSObject {
                if name == "sObject" && stack.count == sObjectDepth - 1 {
                    inSObject = false
                } else if stack.count >= sObjectDepth {
                    let parents = stack.dropFirst(sObjectDepth)
                    let path = (parents + [name]).joined(separator: ".")
                    if !value.isEmpty || fieldIsNil {
                        current?.fields.append((path, fieldIsNil ? nil : value))
                    } else if !fieldParents.contains(path) {
                        current?.fields.append((path, ""))
                    }
                    // Every enclosing path now has a field below it (an empty compound is not a field).
                    var prefix = ""
                    for parent in parents {
                        prefix += prefix.isEmpty ? parent : "." + parent
                        fieldParents.insert(prefix)
                    }
                    fieldIsNil = false
                }
            } else if name == "notifications" && namespaceURI == OutboundMessageParser.outboundNamespace {
                closedNotifications = true
            } else if name == "Notification", let done = current {
                notifications.append(done)
                current = nil
            } else if name == "Id", current != nil {
                current?.id = value
            } else if name == "OrganizationId" {
                organizationId = value
            } else if name == "ActionId" {
                actionId = value
            }
            text = ""
        }

        private func localName(_ name: String) -> String {
            name.split(separator: ":").last.map(String.init) ?? name
        }
    }
}
