import Foundation
import MapDSL
import Testing

@testable import SyncEngine

/// The per-pair decisions as values in, plan out: what travels, what is an echo, what conflicts.
@Suite struct TwoWayPlannerTests {
    /// Left (salesforce.Contact) Email, FirstName, Phone <-> right (mailchimp.member) email_address, FNAME, PHONE.
    static func planner(defaultPolicy: String = "last-writer-wins", fields: String = "") throws -> TwoWayPlanner {
        let spec = try TwoWaySpec.parse(
            """
            {"kind": "two-way", "left": {"platform": "salesforce", "object": "Contact"},
             "right": {"platform": "mailchimp", "object": "member"},
             "mappings": {"leftToRight": "a.map", "rightToLeft": "b.map"},
             "identity": [{"left": "Email", "right": "email_address", "match": "email"}],
             "conflicts": {"default": "\(defaultPolicy)", "clockSkewSeconds": 60, "fields": {\(fields)}}}
            """, name: "p", path: "p.json")
        return TwoWayPlanner(
            spec: spec,
            leftToRight: DirectionFields(
                outputs: ["email_address", "FNAME", "PHONE", "status"], sources: [["Email"], ["FirstName"], ["Phone"], ["OptOut"]],
                inputs: ["Email", "FirstName", "Phone", "OptOut"]),
            rightToLeft: DirectionFields(
                outputs: ["Email", "FirstName", "Phone", "External"], sources: [["email_address"], ["FNAME"], ["PHONE"], ["contact_id"]],
                inputs: ["email_address", "FNAME", "PHONE", "contact_id"]))
    }

    /// A pair whose mappings are the identity on the synced fields (e-mail lower-cased to the right).
    static func state(
        left: [String: JSONValue], right: [String: JSONValue], leftBase: [String: JSONValue]?, rightBase: [String: JSONValue]?
    ) -> PairState {
        let desiredRight: [(String, JSONValue)] = [
            ("email_address", .string(left["Email"]?.stringValue?.lowercased() ?? "")), ("FNAME", left["FirstName"] ?? .null),
            ("PHONE", left["Phone"] ?? .null), ("status", "subscribed"),
        ]
        let desiredLeft: [(String, JSONValue)] = [
            ("Email", right["email_address"] ?? .null), ("FirstName", right["FNAME"] ?? .null), ("Phone", right["PHONE"] ?? .null),
            ("External", "mc-1"),
        ]
        return PairState(
            left: left, right: right, leftBase: leftBase, rightBase: rightBase, desiredRight: desiredRight, desiredLeft: desiredLeft)
    }

    static let left: [String: JSONValue] = ["Email": "Ann@x.com", "FirstName": "Ann", "Phone": "1", "OptOut": false]
    static let right: [String: JSONValue] = ["email_address": "ann@x.com", "FNAME": "Ann", "PHONE": "1", "contact_id": "c1"]

    @Test func aHumanEditOnOneSideTravelsAndNothingElse() throws {
        let p = try Self.planner()
        var l = Self.left
        l["FirstName"] = "Anna"
        let plan = p.plan(Self.state(left: l, right: Self.right, leftBase: Self.left, rightBase: Self.right))
        #expect(plan.toRight.map(\.0) == ["FNAME"] && plan.toRight[0].1 == "Anna")
        #expect(plan.toLeft.isEmpty && plan.parked.isEmpty && plan.settled.isEmpty)
    }

    @Test func aReadBackOfMapcsOwnWriteIsNotPropagated() throws {
        let p = try Self.planner()
        var r = Self.right
        r["FNAME"] = "Anna"
        // The base is stale (a run cut off before it recorded the write), but the ledger knows the write.
        var s = Self.state(left: Self.left, right: r, leftBase: Self.left, rightBase: Self.right)
        s.ledgerRight = [["FNAME": "Anna", "email_address": "ann@x.com"]]
        var l = Self.left
        l["FirstName"] = "Anna"
        s.left = l
        s.desiredRight = Self.state(left: l, right: r, leftBase: nil, rightBase: nil).desiredRight
        let plan = p.plan(s)
        #expect(plan.echoRight == ["FNAME"])
        #expect(plan.toLeft.isEmpty && plan.toRight.isEmpty && plan.parked.isEmpty)
    }

    @Test func aChangeMixingMapcsWriteWithAHumanEditCarriesOnlyTheHumanField() throws {
        let p = try Self.planner()
        var r = Self.right
        r["FNAME"] = "Anna"  // mapc wrote this
        r["PHONE"] = "2"  // a person changed this
        var s = Self.state(left: Self.left, right: r, leftBase: Self.left, rightBase: Self.right)
        s.ledgerRight = [["FNAME": "Anna"]]
        var l = Self.left
        l["FirstName"] = "Anna"
        s.left = l
        s.leftBase = l
        s.desiredRight = Self.state(left: l, right: r, leftBase: nil, rightBase: nil).desiredRight
        let plan = p.plan(s)
        #expect(plan.toLeft.map(\.0) == ["Phone"])
        #expect(plan.toRight.isEmpty && plan.echoRight == ["FNAME"] && plan.changedRight == ["PHONE"])
    }

    @Test func bothSidesChangedTheSameFieldFollowsThePolicy() throws {
        var l = Self.left
        l["FirstName"] = "Left"
        var r = Self.right
        r["FNAME"] = "Right"
        func plan(_ policy: String, leftAt: Double, rightAt: Double) throws -> PairPlan {
            var s = Self.state(left: l, right: r, leftBase: Self.left, rightBase: Self.right)
            s.leftModified = leftAt
            s.rightModified = rightAt
            return try Self.planner(defaultPolicy: policy).plan(s)
        }
        let sfWins = try plan("salesforce wins", leftAt: 0, rightAt: 1000)
        #expect(sfWins.toRight.map(\.0) == ["FNAME"] && sfWins.toLeft.isEmpty && sfWins.settled.first?.winner == .left)
        let newer = try plan("last-writer-wins", leftAt: 0, rightAt: 1000)
        #expect(newer.toLeft.map(\.0) == ["FirstName"] && newer.toRight.isEmpty && newer.settled.first?.winner == .right)
        let tooClose = try plan("last-writer-wins", leftAt: 1000, rightAt: 1030)
        #expect(tooClose.toLeft.isEmpty && tooClose.toRight.isEmpty)
        #expect(tooClose.parked.map(\.field) == ["FNAME"] && tooClose.parked.first?.reason.contains("60s clock-skew") == true)
        let review = try plan("review", leftAt: 0, rightAt: 1000)
        #expect(review.parked.first?.left == "Left" && review.parked.first?.right == "Right")
        // An open conflict is not parked twice; an operator's choice settles it.
        var s = Self.state(left: l, right: r, leftBase: Self.left, rightBase: Self.right)
        s.open = ["FNAME"]
        #expect(try Self.planner(defaultPolicy: "review").plan(s).parked.isEmpty)
        s.decided = ["FNAME": .right]
        let decided = try Self.planner(defaultPolicy: "review").plan(s)
        #expect(decided.toLeft.map(\.0) == ["FirstName"] && decided.toLeft[0].1 == "Right")
    }

    @Test func aFreshLinkWithEquivalentValuesWritesNothing() throws {
        // E-mail differs only in case: left -> right lower-cases it, so the sides agree.
        let plan = try Self.planner().plan(Self.state(left: Self.left, right: Self.right, leftBase: nil, rightBase: nil))
        #expect(plan.toLeft.isEmpty && plan.toRight.isEmpty && plan.parked.isEmpty)
    }

    @Test func fieldsOnlyOneDirectionMapsAreNeverWrittenOnUpdate() throws {
        var l = Self.left
        l["OptOut"] = true
        let plan = try Self.planner().plan(Self.state(left: l, right: Self.right, leftBase: Self.left, rightBase: Self.right))
        #expect(plan.toRight.isEmpty && plan.toLeft.isEmpty)
        #expect(try Self.planner().syncedRight == ["email_address", "FNAME", "PHONE"])
        #expect(try Self.planner().syncedLeft == ["Email", "FirstName", "Phone"])
    }

    @Test func parkedFieldsKeepTheirOldBase() throws {
        var l = Self.left
        l["Phone"] = "9"
        var r = Self.right
        r["PHONE"] = "8"
        let s = Self.state(left: l, right: r, leftBase: Self.left, rightBase: Self.right)
        let p = try Self.planner(fields: "\"PHONE\": \"review\"")
        let plan = p.plan(s)
        #expect(plan.parked.map(\.field) == ["PHONE"])
        let bases = p.bases(after: plan, s, leftWritten: false, rightWritten: false)
        #expect(bases.left["Phone"] == "1" && bases.right["PHONE"] == "1")
    }
}

/// Linking by the identity rules never merges silently.
@Suite struct IdentityResolverTests {
    static func spec() throws -> TwoWaySpec {
        try TwoWaySpec.parse(
            """
            {"kind": "two-way", "left": {"platform": "salesforce", "object": "Contact"},
             "right": {"platform": "mailchimp", "object": "member"},
             "mappings": {"leftToRight": "a.map", "rightToLeft": "b.map"},
             "identity": [{"left": "Email", "right": "email_address", "match": "email"},
                          {"left": "Phone", "right": "PHONE", "match": "digits"}],
             "conflicts": {"default": "review"}}
            """, name: "p", path: "p.json")
    }

    @Test func linksCreatesAndParks() throws {
        let plan = IdentityResolver(spec: try Self.spec()).resolve(
            left: [
                ("L1", ["Email": "a@x.com"]), ("L2", ["Email": "b@work.com", "Phone": "+1 212 555 0100"]),
                ("L3", ["Email": "dup@x.com"]), ("L4", ["Email": "DUP@x.com"]), ("L5", ["Email": "only@x.com"]),
                ("L6", ["Email": "linked@x.com"]),
            ],
            right: [
                ("R1", ["email_address": "A@x.com"]), ("R2", ["email_address": "b@home.com", "PHONE": "(212) 555-0100 "]),
                ("R3", ["email_address": "dup@x.com"]), ("R9", ["email_address": "linked@x.com"]),
                ("R10", ["email_address": "new@x.com"]),
            ], linkedLeft: ["L9"], linkedRight: ["R9"], ignored: [])
        #expect(plan.links.map { "\($0.0)-\($0.1)-\($0.2)" }.sorted() == ["L1-R1-Email=email_address", "L2-R2-Phone=PHONE"])
        #expect(plan.onlyLeft == ["L5"] && plan.onlyRight == ["R10"])
        #expect(plan.conflicts.map(\.key).sorted() == ["left:L3,left:L4,right:R3", "left:L6"])
        let withLinked = try #require(plan.conflicts.first { $0.key == "left:L6" })
        #expect(withLinked.payload["linked"] == ["right:R9"])
    }

    @Test func ignoredRecordsAreLeftAlone() throws {
        let plan = IdentityResolver(spec: try Self.spec()).resolve(
            left: [("L3", ["Email": "dup@x.com"]), ("L4", ["Email": "dup@x.com"])], right: [], linkedLeft: [], linkedRight: [],
            ignored: ["left:L4"])
        #expect(plan.onlyLeft == ["L3"] && plan.conflicts.isEmpty)
    }
}
