import MapDSL

/// The schemas, mappings and records the targets use: small, made up, and covering every field
/// type, the field checks (length, picklist, formats) and a lookup.
enum FuzzProject {
    static let contact = """
        {"platform": "fuzz", "object": "contact", "fields": [
          {"name": "id", "type": "id", "unique": true},
          {"name": "email", "type": "string"},
          {"name": "first", "type": "string"},
          {"name": "last", "type": "string"},
          {"name": "company", "type": "string"},
          {"name": "stage", "type": "picklist", "values": ["lead", "customer", "other"]},
          {"name": "tags", "type": "multipicklist", "values": ["a", "b", "c"]},
          {"name": "n", "type": "int"},
          {"name": "m", "type": "int"},
          {"name": "amount", "type": "decimal"},
          {"name": "flag", "type": "bool"},
          {"name": "born", "type": "date"},
          {"name": "seen", "type": "datetime"},
          {"name": "note", "type": "string"},
          {"name": "traits.city", "type": "string"}
        ]}
        """

    static let lead = """
        {"platform": "fuzz", "object": "Lead", "fields": [
          {"name": "Key", "type": "string", "externalId": true, "maxLength": 64},
          {"name": "Email", "type": "string", "format": "email", "maxLength": 80},
          {"name": "Name", "type": "string", "required": true, "maxLength": 40},
          {"name": "Status", "type": "picklist", "required": true, "values": ["Open", "Working", "Closed"]},
          {"name": "Tags", "type": "multipicklist", "values": ["a", "b", "c"]},
          {"name": "Count", "type": "int"},
          {"name": "Amount", "type": "decimal"},
          {"name": "Flag", "type": "bool"},
          {"name": "Day", "type": "date"},
          {"name": "At", "type": "datetime"},
          {"name": "Text", "type": "string"},
          {"name": "Phone", "type": "string", "format": "phone"},
          {"name": "Site", "type": "string", "format": "url"},
          {"name": "Account", "type": "id"},
          {"name": "Created", "type": "datetime", "readOnly": true}
        ]}
        """

    static let account = """
        {"platform": "fuzz", "object": "Account", "fields": [
          {"name": "Id", "type": "id", "unique": true},
          {"name": "Name", "type": "string", "unique": true}
        ]}
        """

    static let schemas: InMemorySchemas = {
        let all = [("contact", contact), ("Lead", lead), ("Account", account)].map { name, text in
            // The texts above are constants of this file: a failure to load them is a bug here.
            guard let s = try? SchemaLoader.load(text: text, path: "fuzz/\(name).json") else { fatalError("bad fuzz schema \(name)") }
            return s
        }
        return InMemorySchemas(all)
    }()

    /// A mapping whose every expression the byte-level evaluator covers.
    static let cellMapping = """
        # Covered by the byte-level evaluator: text, blanks, match, arithmetic.
        mapping fuzz.contact -> fuzz.Lead
        key Key
        skip when blank(id)

        Key    = id
        Amount = amount * 2 / 3
        Count  = (n ?? 0) + (m ?? 1) * 7 % 5 - -(n ?? 2)
        Email  = lower(trim(email))
        Flag   = flag ?? ((n ?? 0) > 3 and not blank(note))
        Name   = substring(trim(first ?? "") + " " + trim(last ?? ""), 0, 40)
        Status = match stage {
            "lead" => "Open"
            "customer", "other" => "Working"
            _ => "Closed"
        }
        Text   = coalesce(null_if_blank(note), company, `traits.city`, "none")
        """

    /// A mapping that needs the ``Value`` evaluator: dates, patterns, conversions, lookups.
    static let valueMapping = """
        mapping fuzz.contact -> fuzz.Lead
        key Key
        skip when matches(email ?? "", "^skip")

        Key     = concat("k-", id, "-", seen, born)
        Account = lookup(fuzz.Account, Name == trim(company))?.Id
        Amount  = round((try_decimal(note) ?? 0.0) + (amount ?? 0.5), 2)
        At      = add_days(try_datetime(note) ?? to_datetime("2024-03-05T10:00:00+02:00"), n ?? 0)
        Count   = days_between(born ?? to_date("2024-01-01"), add_days(to_date(seen ?? to_datetime("2024-03-05")), m ?? 1)) % (n ?? 7)
        Day     = add_days(to_date(born ?? to_date("1970-01-01")), m ?? 0)
        Email   = extract(email, "([^ ]+@[^ ]+)")
        Name    = truncate(title(join(" ", first, last)), 40, "…") ?? "Unknown"
        Phone   = normalize_phone(note ?? "", "GB")
        Site    = replace(split(email ?? "", "@", -1) ?? "", " ", "")
        Status  = if year(born ?? to_date("2000-01-01")) > 1999 then "Open" else "Closed"
        Tags    = tags
        Text    = format_date(add_days(seen ?? to_datetime("2024-01-01"), try_int(note) ?? 1), "yyyy-MM-dd'T'HH:mm:ss.SSS") + md5(id) + right(to_string(try_int(note) ?? 0), 3) + (left(email_domain(email), 5) ?? "")
        """

    /// Records for the mappings, one JSON object per line.
    static let records = [
        #"{"id": "1", "email": " Ann@Example.COM ", "first": "ann", "last": "lee", "company": "Acme", "stage": "lead", "tags": ["a", "b"], "n": 3, "m": -4, "amount": 12.5, "flag": true, "born": "1990-05-01", "seen": "2024-03-05T10:22:11.123Z", "note": "42"}"#,
        #"{"id": "2", "email": null, "first": "Zoë", "last": "O'Brien", "stage": "customer", "n": "9223372036854775807", "m": 9223372036854775807, "amount": "1,200.50", "born": 1700000000000, "seen": 1700000000000, "note": "2024-02-29T23:59:59-23:59"}"#,
        #"{"id": "3", "email": "skip@x.io", "stage": "other", "n": -9223372036854775808, "m": -1, "note": "106751991167", "traits.city": "Oslo"}"#,
        #"{"id": "4", "email": "a@b.c", "first": "  ", "company": "Acme", "n": 0, "m": 0, "amount": 1e308, "note": "+44 20 7946 0958"}"#,
        #"{"id": "\u00e9\ud83d\ude00", "email": "x@y.zz", "first": "\u0000", "last": "\"q\"", "stage": "nope", "n": 123456789012345678901234567890, "m": 1e400, "note": "1e400"}"#,
    ]

    /// Accounts the lookup finds.
    static let lookups = InMemoryLookup(records: [
        "fuzz.Account": [["Id": .string("001A"), "Name": .string("Acme")], ["Id": .string("001B"), "Name": .string("Beta")]]
    ])
}
