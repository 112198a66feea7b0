import MapDSL

/// Builds the model from a spec tree the checker found free of errors (so every required member is
/// there with its type); defaults fill what was left out.
enum SpecBuilder {
    static func build(_ root: SpecNode, schemas: [Int: Schema]) -> AdapterSpec? {
        guard let platform = root["platform"]?.string, let authNode = root["auth"], let auth = auth(authNode) else { return nil }
        let errorsNode = root["errors"]
        let errors = AdapterSpec.ErrorShape(
            message: errorsNode?["message"]?.string, code: errorsNode?["code"]?.string, field: errorsNode?["field"]?.string,
            transientStatuses: errorsNode?["transientStatuses"]?.elements.compactMap(\.int) ?? [],
            rateLimitStatuses: errorsNode?["rateLimitStatuses"]?.elements.compactMap(\.int) ?? [429],
            retryAfterHeader: errorsNode?["retryAfterHeader"]?.string ?? "Retry-After")
        var objects: [AdapterSpec.ObjectSpec] = []
        for (index, node) in (root["objects"]?.elements ?? []).enumerated() {
            guard let name = node["name"]?.string, let schemaPath = node["schema"]?.string, let id = node["id"]?.string else {
                return nil
            }
            // Without a project root the schema is not read; an empty one stands in.
            let schema = schemas[index] ?? Schema(platform: platform, object: name, fields: [])
            objects.append(
                AdapterSpec.ObjectSpec(
                    name: name, schemaPath: schemaPath, schema: schema, id: id, fieldsAt: node["fieldsAt"]?.string ?? "",
                    modifiedField: node["modifiedField"]?.string, list: node["list"].flatMap(list), write: node["write"].flatMap(write),
                    find: node["find"].flatMap(find)))
        }
        return AdapterSpec(
            platform: platform, label: root["label"]?.string, docs: root["docs"]?.elements.compactMap(\.string) ?? [],
            baseURL: root["baseURL"]?.string, parameters: root["parameters"]?.elements.compactMap(\.string) ?? [], auth: auth,
            headers: pairs(root["headers"]), errors: errors, objects: objects)
    }

    static func pairs(_ node: SpecNode?) -> [(String, String)] {
        (node?.members ?? []).compactMap { m in m.value.string.map { (m.key, $0) } }
    }

    static func auth(_ node: SpecNode) -> AdapterSpec.Auth? {
        switch node["type"]?.string {
        case "bearer": return .bearer
        case "header": return node["header"]?.string.map { .header(name: $0, prefix: node["prefix"]?.string ?? "") }
        case "query": return node["parameter"]?.string.map { .query(parameter: $0) }
        case "basic":
            guard let user = node["user"]?.string, let password = node["password"]?.string else { return nil }
            return .basic(user: user, password: password)
        case "oauth2":
            guard let path = node["tokenPath"]?.string, let client = node["clientId"]?.string else { return nil }
            return .oauth2(tokenPath: path, clientId: client, scope: node["scope"]?.string)
        default: return nil
        }
    }

    static func list(_ node: SpecNode) -> AdapterSpec.ListSpec? {
        guard let path = node["path"]?.string, let size = node["pageSize"], let parameter = size["parameter"]?.string,
            let max = size["max"]?.int, let p = node["pagination"]
        else { return nil }
        let pagination: AdapterSpec.Pagination
        switch p["type"]?.string {
        case "cursor":
            guard let cursor = p["cursor"]?.string, let q = p["parameter"]?.string else { return nil }
            pagination = .cursor(cursor: cursor, parameter: q)
        case "nextURL":
            guard let next = p["next"]?.string else { return nil }
            pagination = .nextURL(next: next)
        case "linkHeader": pagination = .linkHeader
        case "offset":
            guard let q = p["parameter"]?.string else { return nil }
            pagination = .offset(parameter: q, total: p["total"]?.string)
        case "page":
            guard let q = p["parameter"]?.string else { return nil }
            pagination = .page(parameter: q, first: p["first"]?.int ?? 1)
        default: return nil
        }
        let since = node["modifiedSince"].flatMap { m in
            m["parameter"]?.string.map { (parameter: $0, value: m["value"]?.string ?? "{since}") }
        }
        return AdapterSpec.ListSpec(
            path: path, records: node["records"]?.string ?? "", pageSizeParameter: parameter, pageSizeMax: Swift.max(1, max),
            pagination: pagination, modifiedSince: since, query: pairs(node["query"]))
    }

    static func write(_ node: SpecNode) -> AdapterSpec.WriteSpec? {
        guard let method = node["method"]?.string, let path = node["path"]?.string,
            let shape = node["shape"]?.string.flatMap(AdapterSpec.WriteShape.init(rawValue:)), let r = node["results"]
        else { return nil }
        let results: AdapterSpec.Results
        switch r["type"]?.string {
        case "status":
            results = .status(
                created: r["created"]?.elements.compactMap(\.int) ?? [], updated: r["updated"]?.elements.compactMap(\.int) ?? [],
                duplicate: r["duplicate"]?.elements.compactMap(\.int) ?? [], id: r["id"]?.string)
        case "byKey":
            guard let key = r["key"]?.string, let created = r["created"]?.string, let updated = r["updated"]?.string,
                let errors = r["errors"]?.string
            else { return nil }
            results = .byKey(
                key: key, created: created, updated: updated, errors: errors, id: r["id"]?.string, errorCode: r["errorCode"]?.string,
                errorMessage: r["errorMessage"]?.string, errorField: r["errorField"]?.string)
        case "inOrder":
            guard let at = r["at"]?.string else { return nil }
            results = .inOrder(
                at: at, id: r["id"]?.string, error: r["error"]?.string, errorCode: r["errorCode"]?.string,
                errorMessage: r["errorMessage"]?.string, errorField: r["errorField"]?.string, created: r["created"]?.string)
        case "accepted": results = .accepted
        default: return nil
        }
        let item = node["item"]
        return AdapterSpec.WriteSpec(
            method: method, path: path, shape: shape, records: node["records"]?.string ?? "",
            itemFieldsAt: item?["fieldsAt"]?.string ?? "",
            itemConstants: (item?["constants"]?.members ?? []).map { ($0.key, $0.value.json) },
            constants: (node["constants"]?.members ?? []).map { ($0.key, $0.value.json) }, results: results)
    }

    static func find(_ node: SpecNode) -> AdapterSpec.FindSpec? {
        guard let path = node["path"]?.string else { return nil }
        return AdapterSpec.FindSpec(
            path: path, query: pairs(node["query"]), records: node["records"]?.string,
            fields: node["fields"]?.elements.compactMap(\.string) ?? [],
            notFoundStatuses: node["notFoundStatuses"]?.elements.compactMap(\.int) ?? [404])
    }
}
