//! The field scheme: every field of the Rules language with its type.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// The type of a field as Cloudflare's field reference writes it (`String`, `Map<Array<String>>`).
///
/// `const`-constructible so that the scheme is a plain table; [`FieldType::to_type`] gives the
/// checker's owned [`Type`].
///
/// ```
/// use cfcp::rules::{field_type, FieldType};
/// assert_eq!(field_type("ip.src"), Some(FieldType::Ip));
/// assert_eq!(field_type("http.request.headers").unwrap().to_string(), "Map<Array<String>>");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `Boolean`.
    Bool,
    /// `Int` (a signed 64-bit integer).
    Int,
    /// `String` (Cloudflare's strings are byte strings; cfcp keeps them as UTF-8 text).
    String,
    /// `Bytes`.
    Bytes,
    /// `IP` (an IPv4 or IPv6 address).
    Ip,
    /// `Array<T>`.
    Array(&'static FieldType),
    /// `Map<T>` (string keys).
    Map(&'static FieldType),
}

impl FieldType {
    /// The owned [`Type`] the type checker works with.
    pub fn to_type(self) -> Type {
        match self {
            FieldType::Bool => Type::Bool,
            FieldType::Int => Type::Int,
            FieldType::String => Type::String,
            FieldType::Bytes => Type::Bytes,
            FieldType::Ip => Type::Ip,
            FieldType::Array(inner) => Type::Array(Box::new(inner.to_type())),
            FieldType::Map(inner) => Type::Map(Box::new(inner.to_type())),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_type().fmt(f)
    }
}

/// The type of any value in an expression: a field, a function's result, a literal.
///
/// ```
/// use cfcp::rules::Type;
/// assert_eq!(Type::Array(Box::new(Type::Bool)).to_string(), "Array<Boolean>");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `Boolean`.
    Bool,
    /// `Int`.
    Int,
    /// `String`.
    String,
    /// `Bytes`.
    Bytes,
    /// `IP`.
    Ip,
    /// `Array<T>`.
    Array(Box<Type>),
    /// `Map<T>`.
    Map(Box<Type>),
}

impl Type {
    /// True for `String` and `Bytes`, which every string operation and function accepts alike.
    pub fn is_stringy(&self) -> bool {
        matches!(self, Type::String | Type::Bytes)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("Boolean"),
            Type::Int => f.write_str("Int"),
            Type::String => f.write_str("String"),
            Type::Bytes => f.write_str("Bytes"),
            Type::Ip => f.write_str("IP"),
            Type::Array(inner) => write!(f, "Array<{inner}>"),
            Type::Map(inner) => write!(f, "Map<{inner}>"),
        }
    }
}

/// Every field of the Rules language with its type, in the order of Cloudflare's field reference.
///
/// Generated once from Cloudflare's field reference (`fields/index.yaml` plus the deprecated aliases
/// the docs name); the conformance test `conformance_expressions` re-reads the reference and checks
/// that this table still matches it.
pub const FIELDS: &[(&str, FieldType)] = &[
    ("http.cookie", FieldType::String),
    ("http.host", FieldType::String),
    ("http.referer", FieldType::String),
    ("http.request.full_uri", FieldType::String),
    ("http.request.method", FieldType::String),
    (
        "http.request.cookies",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    ("http.request.timestamp.sec", FieldType::Int),
    ("http.request.timestamp.msec", FieldType::Int),
    ("http.request.uri", FieldType::String),
    ("http.request.uri.path", FieldType::String),
    ("http.request.uri.path.extension", FieldType::String),
    ("http.request.uri.query", FieldType::String),
    ("http.user_agent", FieldType::String),
    ("http.request.version", FieldType::String),
    ("http.x_forwarded_for", FieldType::String),
    ("ip.src", FieldType::Ip),
    ("ip.src.lat", FieldType::String),
    ("ip.src.lon", FieldType::String),
    ("ip.src.city", FieldType::String),
    ("ip.src.postal_code", FieldType::String),
    ("ip.src.metro_code", FieldType::String),
    ("ip.src.region", FieldType::String),
    ("ip.src.region_code", FieldType::String),
    ("ip.src.timezone.name", FieldType::String),
    ("ip.src.asnum", FieldType::Int),
    ("ip.src.continent", FieldType::String),
    ("ip.src.country", FieldType::String),
    ("ip.src.subdivision_1_iso_code", FieldType::String),
    ("ip.src.subdivision_2_iso_code", FieldType::String),
    ("ip.src.is_in_european_union", FieldType::Bool),
    ("raw.http.request.full_uri", FieldType::String),
    ("raw.http.request.uri", FieldType::String),
    ("raw.http.request.uri.path", FieldType::String),
    ("raw.http.request.uri.path.extension", FieldType::String),
    ("raw.http.request.uri.query", FieldType::String),
    (
        "raw.http.response.headers",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "raw.http.response.headers.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "raw.http.response.headers.values",
        FieldType::Array(&FieldType::String),
    ),
    ("ssl", FieldType::Bool),
    ("cf.api_gateway.auth_id_present", FieldType::Bool),
    ("cf.api_gateway.request_violates_schema", FieldType::Bool),
    ("cf.schema_validation.learned.violated", FieldType::Bool),
    ("cf.schema_validation.uploaded.violated", FieldType::Bool),
    ("cf.api_gateway.fallthrough_detected", FieldType::Bool),
    ("cf.bot_management.verified_bot", FieldType::Bool),
    ("cf.verified_bot_category", FieldType::String),
    ("cf.bot_management.score", FieldType::Int),
    ("cf.bot_management.static_resource", FieldType::Bool),
    ("cf.bot_management.ja3_hash", FieldType::String),
    ("cf.bot_management.ja4", FieldType::String),
    ("cf.bot_management.js_detection.passed", FieldType::Bool),
    (
        "cf.bot_management.detection_ids",
        FieldType::Array(&FieldType::Int),
    ),
    ("cf.client.bot", FieldType::Bool),
    ("cf.bot_management.corporate_proxy", FieldType::Bool),
    ("cf.bot_management.signed_agent", FieldType::Bool),
    ("cf.edge.server_ip", FieldType::Ip),
    ("cf.edge.server_port", FieldType::Int),
    ("cf.hostname.metadata", FieldType::String),
    ("cf.random_seed", FieldType::Bytes),
    ("cf.ray_id", FieldType::String),
    ("cf.threat_score", FieldType::Int),
    ("cf.tls_cipher", FieldType::String),
    ("cf.tls_client_auth.cert_revoked", FieldType::Bool),
    ("cf.tls_client_auth.cert_verified", FieldType::Bool),
    ("cf.tls_client_auth.cert_presented", FieldType::Bool),
    ("cf.tls_client_auth.cert_issuer_dn", FieldType::String),
    ("cf.tls_client_auth.cert_subject_dn", FieldType::String),
    (
        "cf.tls_client_auth.cert_issuer_dn_rfc2253",
        FieldType::String,
    ),
    (
        "cf.tls_client_auth.cert_subject_dn_rfc2253",
        FieldType::String,
    ),
    (
        "cf.tls_client_auth.cert_issuer_dn_legacy",
        FieldType::String,
    ),
    (
        "cf.tls_client_auth.cert_subject_dn_legacy",
        FieldType::String,
    ),
    ("cf.tls_client_auth.cert_serial", FieldType::String),
    ("cf.tls_client_auth.cert_issuer_serial", FieldType::String),
    (
        "cf.tls_client_auth.cert_fingerprint_sha256",
        FieldType::String,
    ),
    (
        "cf.tls_client_auth.cert_fingerprint_sha1",
        FieldType::String,
    ),
    ("cf.tls_client_auth.cert_not_before", FieldType::String),
    ("cf.tls_client_auth.cert_not_after", FieldType::String),
    ("cf.tls_client_auth.cert_ski", FieldType::String),
    ("cf.tls_client_auth.cert_issuer_ski", FieldType::String),
    ("cf.tls_client_auth.cert_rfc9440", FieldType::String),
    ("cf.tls_client_auth.cert_rfc9440_too_large", FieldType::Bool),
    ("cf.tls_client_auth.cert_chain_rfc9440", FieldType::String),
    (
        "cf.tls_client_auth.cert_chain_rfc9440_too_large",
        FieldType::Bool,
    ),
    ("cf.tls_client_extensions_sha1", FieldType::String),
    ("cf.tls_client_extensions_sha1_le", FieldType::String),
    ("cf.tls_ciphers_sha1", FieldType::String),
    ("cf.tls_client_hello_length", FieldType::Int),
    ("cf.tls_client_random", FieldType::String),
    ("cf.tls_version", FieldType::String),
    ("cf.edge.client_tcp", FieldType::Bool),
    ("cf.edge.l4.delivery_rate", FieldType::Int),
    ("cf.timings.client_tcp_rtt_msec", FieldType::Int),
    ("cf.timings.client_quic_rtt_msec", FieldType::Int),
    ("cf.timings.edge_msec", FieldType::Int),
    ("cf.timings.origin_ttfb_msec", FieldType::Int),
    ("cf.timings.worker_msec", FieldType::Int),
    ("cf.waf.content_scan.has_obj", FieldType::Bool),
    ("cf.waf.content_scan.has_malicious_obj", FieldType::Bool),
    ("cf.waf.content_scan.num_malicious_obj", FieldType::Int),
    ("cf.waf.content_scan.has_failed", FieldType::Bool),
    ("cf.waf.content_scan.num_obj", FieldType::Int),
    (
        "cf.waf.content_scan.obj_sizes",
        FieldType::Array(&FieldType::Int),
    ),
    (
        "cf.waf.content_scan.obj_types",
        FieldType::Array(&FieldType::String),
    ),
    (
        "cf.waf.content_scan.obj_results",
        FieldType::Array(&FieldType::String),
    ),
    ("cf.waf.score", FieldType::Int),
    ("cf.waf.score.sqli", FieldType::Int),
    ("cf.waf.score.xss", FieldType::Int),
    ("cf.waf.score.rce", FieldType::Int),
    ("cf.waf.score.class", FieldType::String),
    ("cf.waf.auth_detected", FieldType::Bool),
    ("cf.waf.credential_check.password_leaked", FieldType::Bool),
    ("cf.waf.credential_check.username_leaked", FieldType::Bool),
    (
        "cf.waf.credential_check.username_and_password_leaked",
        FieldType::Bool,
    ),
    (
        "cf.waf.credential_check.username_password_similar",
        FieldType::Bool,
    ),
    ("cf.llm.prompt.detected", FieldType::Bool),
    ("cf.llm.prompt.pii_detected", FieldType::Bool),
    (
        "cf.llm.prompt.pii_categories",
        FieldType::Array(&FieldType::String),
    ),
    ("cf.llm.prompt.unsafe_topic_detected", FieldType::Bool),
    (
        "cf.llm.prompt.unsafe_topic_categories",
        FieldType::Array(&FieldType::String),
    ),
    ("cf.llm.prompt.injection_score", FieldType::Int),
    ("cf.llm.prompt.token_count", FieldType::Int),
    (
        "cf.llm.prompt.custom_topic_categories",
        FieldType::Map(&FieldType::Int),
    ),
    ("cf.worker.upstream_zone", FieldType::String),
    (
        "http.request.jwt.claims.aud",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.jwt.claims.aud.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.aud.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.iss",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.jwt.claims.iss.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.iss.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.jti",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.jwt.claims.jti.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.jti.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.sub",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.jwt.claims.sub.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.sub.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.iat.sec",
        FieldType::Map(&FieldType::Array(&FieldType::Int)),
    ),
    (
        "http.request.jwt.claims.iat.sec.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.iat.sec.values",
        FieldType::Array(&FieldType::Int),
    ),
    (
        "http.request.jwt.claims.nbf.sec",
        FieldType::Map(&FieldType::Array(&FieldType::Int)),
    ),
    (
        "http.request.jwt.claims.nbf.sec.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.jwt.claims.nbf.sec.values",
        FieldType::Array(&FieldType::Int),
    ),
    (
        "http.request.uri.args",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.uri.args.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.uri.args.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "raw.http.request.uri.args",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "raw.http.request.uri.args.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "raw.http.request.uri.args.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.headers",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.headers.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.headers.values",
        FieldType::Array(&FieldType::String),
    ),
    ("http.request.headers.truncated", FieldType::Bool),
    (
        "http.request.accepted_languages",
        FieldType::Array(&FieldType::String),
    ),
    ("http.request.body.raw", FieldType::String),
    ("http.request.body.truncated", FieldType::Bool),
    ("http.request.body.size", FieldType::Int),
    (
        "http.request.body.form",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.body.form.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.body.form.values",
        FieldType::Array(&FieldType::String),
    ),
    ("http.request.body.mime", FieldType::String),
    (
        "http.request.body.multipart",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.body.multipart.names",
        FieldType::Array(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.body.multipart.values",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.request.body.multipart.content_types",
        FieldType::Array(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.body.multipart.content_dispositions",
        FieldType::Array(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.body.multipart.content_transfer_encodings",
        FieldType::Array(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.request.body.multipart.filenames",
        FieldType::Array(&FieldType::Array(&FieldType::String)),
    ),
    ("http.response.code", FieldType::Int),
    (
        "http.response.headers",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
    (
        "http.response.headers.names",
        FieldType::Array(&FieldType::String),
    ),
    (
        "http.response.headers.values",
        FieldType::Array(&FieldType::String),
    ),
    ("http.response.content_type.media_type", FieldType::String),
    ("cf.response.1xxx_code", FieldType::Int),
    ("cf.response.error_type", FieldType::String),
    ("ip.geoip.asnum", FieldType::Int),
    ("ip.geoip.country", FieldType::String),
    ("ip.geoip.continent", FieldType::String),
    ("ip.geoip.subdivision_1_iso_code", FieldType::String),
    ("ip.geoip.subdivision_2_iso_code", FieldType::String),
    ("ip.geoip.is_in_european_union", FieldType::Bool),
    ("cf.zone.name", FieldType::String),
    ("cf.zone.plan", FieldType::String),
    (
        "http.request.jwt.claims",
        FieldType::Map(&FieldType::Array(&FieldType::String)),
    ),
];

/// Deprecated fields that Cloudflare still accepts, with what to use instead.
///
/// ```
/// assert_eq!(cfcp::rules::deprecated_replacement("ip.geoip.country"), Some("ip.src.country"));
/// ```
pub const DEPRECATED_FIELDS: &[(&str, &str)] = &[
    ("cf.threat_score", "cf.waf.score (WAF attack score) or cf.bot_management.score; the threat score is now always 0"),
    ("ip.geoip.asnum", "ip.src.asnum"),
    ("ip.geoip.country", "ip.src.country"),
    ("ip.geoip.continent", "ip.src.continent"),
    ("ip.geoip.subdivision_1_iso_code", "ip.src.subdivision_1_iso_code"),
    ("ip.geoip.subdivision_2_iso_code", "ip.src.subdivision_2_iso_code"),
    ("ip.geoip.is_in_european_union", "ip.src.is_in_european_union"),
];

/// The type of a field, or `None` when the Rules language has no such field.
pub fn field_type(name: &str) -> Option<FieldType> {
    field_entry(name).map(|(_, ty)| ty)
}

/// A field's entry in [`FIELDS`]: its name (static) and type.
pub(crate) fn field_entry(name: &str) -> Option<(&'static str, FieldType)> {
    field_id(name).map(|id| FIELDS[id])
}

/// A field's position in [`FIELDS`].
pub(crate) fn field_id(name: &str) -> Option<usize> {
    static INDEX: OnceLock<HashMap<&'static str, usize, BuildHasherDefault<WordHash>>> =
        OnceLock::new();
    INDEX
        .get_or_init(|| {
            FIELDS
                .iter()
                .enumerate()
                .map(|(id, (name, _))| (*name, id))
                .collect()
        })
        .get(name)
        .copied()
}

/// A word-at-a-time multiplicative hash (as in rustc's FxHash): field names are short and the
/// table is ours, so a fast hash beats SipHash's protection against chosen collisions.
#[derive(Default)]
struct WordHash(u64);

impl WordHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
}

/// What replaces a deprecated field (`None` when the field is not deprecated).
pub fn deprecated_replacement(name: &str) -> Option<&'static str> {
    DEPRECATED_FIELDS
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, replacement)| *replacement)
}
