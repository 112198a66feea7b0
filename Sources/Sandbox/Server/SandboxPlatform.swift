/// The platforms the sandbox emulates.
public enum SandboxPlatform: String, Sendable, CaseIterable, Codable {
    /// HubSpot CRM v3 (`/crm/v3/...`), bearer-token auth.
    case hubspot
    /// Salesforce REST (`/services/data/vXX.X/...`), bearer-token auth.
    case salesforce
    /// Mailchimp Marketing API (`/3.0/...`), Basic auth with the API key as password, or bearer.
    case mailchimp
    /// Segment HTTP Tracking API (`/v1/...`), Basic auth with the write key as user name.
    case segment
    /// GA4 Measurement Protocol (`/mp/collect`, `/debug/mp/collect`), `api_secret` query parameter.
    case ga4

    /// The credential accepted when ``SandboxOptions/credential`` is not set.
    ///
    /// HubSpot and Salesforce: bearer token; Mailchimp: API key (`<key>-<dc>`); Segment: write key;
    /// GA4: `api_secret`.
    public var defaultCredential: String {
        switch self {
        case .hubspot: "sandbox-hubspot-token"
        case .salesforce: "sandbox-salesforce-token"
        case .mailchimp: "sandboxkey-us1"
        case .segment: "sandbox-write-key"
        case .ga4: "sandbox-api-secret"
        }
    }

    /// The path prefix an API client appends to ``SandboxServer/baseURL`` (empty for root paths).
    public var apiPathPrefix: String {
        switch self {
        case .hubspot: ""
        case .salesforce: "/services/data/v59.0"
        case .mailchimp: "/3.0"
        case .segment: "/v1"
        case .ga4: ""
        }
    }
}
