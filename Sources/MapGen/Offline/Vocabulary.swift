import MapDSL

/// CRM vocabulary: splits field names into words, maps synonyms to shared concepts, and scores how
/// likely two fields hold the same thing.
public enum Vocabulary {
    /// Concepts and the phrases (lower-case words) that name them.
    static let synonyms: [String: [String]] = [
        "email": ["email", "email address", "e mail", "emailaddress", "mail"],
        "firstname": ["first name", "firstname", "given name", "givenname", "fname", "forename"],
        "lastname": ["last name", "lastname", "surname", "family name", "familyname", "lname"],
        "fullname": ["full name", "fullname", "display name"],
        "phone": ["phone", "phone number", "telephone", "tel", "work phone", "business phone", "phonenumber"],
        "mobile": ["mobile", "mobile phone", "mobilephone", "cell", "cell phone", "cellphone", "mobile number"],
        "title": ["title", "job title", "jobtitle", "position"],
        "company": [
            "company", "company name", "companyname", "account", "account name", "organization", "organisation", "org", "employer",
        ],
        "person": ["contact", "lead", "person", "member", "user", "subscriber"],
        "zip": ["zip", "zip code", "zipcode", "postal code", "postalcode", "postcode"],
        "street": ["street", "address", "street address", "address line 1", "address1"],
        "street2": ["address2", "address line 2"],
        "city": ["city", "town", "locality"],
        "state": ["state", "province", "region"],
        "country": ["country", "nation", "country name"],
        "website": ["website", "web site", "url", "homepage", "home page"],
        "employees": [
            "employees", "number of employees", "numberofemployees", "employee count", "num employees", "numemployees", "headcount",
            "employee_count",
        ],
        "revenue": ["revenue", "annual revenue", "annualrevenue"],
        "optout": ["email optout", "optout", "opt out", "opted out of email", "has opted out of email", "unsubscribed", "unsubscribe"],
        "birthday": ["birthday", "birthdate", "birth date", "date of birth", "dob"],
        "created": ["createdate", "created date", "createddate", "created at", "createdat", "creation date", "create date"],
        "modified": ["lastmodifieddate", "last modified date", "modified date", "updated at", "updatedat", "last modified"],
        "source": ["lead source", "leadsource", "analytics source", "original source", "source"],
        "stage": ["lifecycle stage", "lifecyclestage", "stage"],
        "salutation": ["salutation", "prefix"],
        "description": ["description", "notes", "about"],
        "industry": ["industry", "sector"],
        "gender": ["gender", "sex"],
    ]

    /// Concepts that are related but not the same (a partial match).
    static let related: Set<[String]> = [
        ["mobile", "phone"], ["person", "fullname"], ["created", "modified"],
    ]

    /// Words that carry no meaning in a field name.
    static let noise: Set<String> = ["hs", "c", "the", "of", "merge", "fields", "traits", "properties", "custom", "field", "value"]

    private static let phraseIndex: [[String]: String] = {
        var index: [[String]: String] = [:]
        for (concept, phrases) in synonyms {
            for p in phrases { index[p.split(separator: " ").map(String.init)] = concept }
        }
        return index
    }()

    /// The lower-case words of a field name: split at `_`, `.`, `-`, spaces, digits and camel case.
    public static func words(_ name: String) -> [String] {
        var out: [String] = []
        var current = ""
        let chars = Array(name)
        for (i, c) in chars.enumerated() {
            if c == "_" || c == "." || c == "-" || c == " " || c == "/" {
                if !current.isEmpty { out.append(current.lowercased()) }
                current = ""
                continue
            }
            if c.isUppercase, !current.isEmpty {
                let prevLower = chars[i - 1].isLowercase
                let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if prevLower || (nextLower && chars[i - 1].isUppercase) {
                    out.append(current.lowercased())
                    current = ""
                }
            }
            current.append(c)
        }
        if !current.isEmpty { out.append(current.lowercased()) }
        return out
    }

    /// The concepts a name (or phrase) mentions, synonyms folded, noise dropped.
    public static func concepts(_ name: String) -> [String] {
        let w = words(name).filter { !noise.contains($0) }
        var out: [String] = []
        var i = 0
        while i < w.count {
            var matched = false
            for k in stride(from: min(5, w.count - i), through: 1, by: -1) {
                if let concept = phraseIndex[Array(w[i..<(i + k)])] {
                    out.append(concept)
                    i += k
                    matched = true
                    break
                }
            }
            if !matched {
                out.append(w[i])
                i += 1
            }
        }
        return out
    }

    /// How alike two field names are, 0...1: same normalised name 1; shared concepts up to 0.9;
    /// related concepts 0.5; a likely typo 0.6.
    public static func nameSimilarity(_ a: String, _ b: String) -> Double {
        let na = Suggest.normalise(a)
        let nb = Suggest.normalise(b)
        if na == nb { return 1 }
        let ca = concepts(a)
        let cb = concepts(b)
        var best = 0.0
        if !ca.isEmpty && !cb.isEmpty {
            let shared = Set(ca).intersection(cb).count
            if shared > 0 {
                best = 0.9 * Double(shared) / Double(max(Set(ca).count, Set(cb).count))
            }
            if ca.count == 1, cb.count == 1, related.contains([ca[0], cb[0]].sorted()) { best = max(best, 0.5) }
        }
        if na.count >= 5, Suggest.distance(na, nb, limit: 2) <= 1 { best = max(best, 0.6) }
        return best
    }

    /// How well a value of field `source` can be stored in field `destination`, 0...1.
    public static func typeCompatibility(_ source: Field, _ destination: Field) -> Double {
        switch (source.type.baseType, destination.type) {
        case (.string, .string): return 1
        case (.string, .id): return source.type == .id ? 1 : 0.3
        case (.string, .picklist), (.string, .multipicklist): return source.values != nil ? 0.8 : 0.5
        case (.string, .int), (.string, .decimal), (.string, .date), (.string, .datetime), (.string, .bool): return 0.75
        case (.int, .int), (.int, .decimal), (.decimal, .decimal), (.bool, .bool), (.date, .date), (.date, .datetime),
            (.datetime, .datetime):
            return 1
        case (.datetime, .date): return 0.9
        case (.decimal, .int): return 0.8
        case (_, .string): return 0.7
        default: return 0
        }
    }

    /// Name similarity (labels included) times type compatibility.
    public static func score(_ source: Field, _ destination: Field) -> Double {
        var name = nameSimilarity(source.name, destination.name)
        if let l = destination.label { name = max(name, 0.95 * nameSimilarity(source.name, l)) }
        if let l = source.label { name = max(name, 0.95 * nameSimilarity(l, destination.name)) }
        return name * typeCompatibility(source, destination)
    }
}
