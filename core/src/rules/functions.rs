//! The functions of the Rules language: names, signatures and where each may be used.

/// Where a function may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionContext {
    /// In filter (matching) expressions and value expressions alike.
    Any,
    /// Only in value expressions: rewrite expressions of Transform Rules and target URLs of
    /// dynamic redirects.
    ValueOnly,
    /// Not in HTTP rulesets at all (Magic Firewall).
    Unavailable,
}

/// A documented function: its name, signature as Cloudflare writes it, and where it may appear.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The name (`lower`).
    pub name: &'static str,
    /// The documented signature (`lower(String): String`).
    pub signature: &'static str,
    /// Where it may be used.
    pub context: FunctionContext,
}

const fn f(name: &'static str, signature: &'static str, context: FunctionContext) -> Function {
    Function {
        name,
        signature,
        context,
    }
}

use FunctionContext::{Any, Unavailable, ValueOnly};

/// Every function of the Rules language, after Cloudflare's functions reference.
///
/// ```
/// let f = cfcp::rules::function("regex_replace").unwrap();
/// assert_eq!(f.context, cfcp::rules::FunctionContext::ValueOnly);
/// ```
pub const FUNCTIONS: &[Function] = &[
    f("any", "any(Array<Boolean>): Boolean", Any),
    f("all", "all(Array<Boolean>): Boolean", Any),
    f("cidr", "cidr(address IP, ipv4_network_bits Int, ipv6_network_bits Int): IP", Any),
    f("cidr6", "cidr6(address IP, ipv6_network_bits Int): IP", Any),
    f("concat", "concat(String | Bytes | Array, ...): String | Array", Any),
    f("decode_base64", "decode_base64(source String): String", Any),
    f("encode_base64", "encode_base64(input String | Bytes [, flags String]): String", ValueOnly),
    f("ends_with", "ends_with(source String, substring String): Boolean", Any),
    f("join", "join(items Array<String>, separator String): String", Any),
    f("len", "len(String | Bytes | Array): Int", Any),
    f("lookup_json_integer", "lookup_json_integer(field String, key String | Int, ...): Int", Any),
    f("lookup_json_string", "lookup_json_string(field String, key String | Int, ...): String", Any),
    f("lower", "lower(String): String", Any),
    f("regex_replace", "regex_replace(source String, regular_expression String, replacement String): String", ValueOnly),
    f("remove_bytes", "remove_bytes(Bytes, Bytes): Bytes", Any),
    f("remove_query_args", "remove_query_args(field String, query_param String, ...): String", ValueOnly),
    f("sha256", "sha256(input String | Bytes): Bytes", ValueOnly),
    f("split", "split(input String, separator String, limit Int): Array<String>", Any),
    f("starts_with", "starts_with(source String, substring String): Boolean", Any),
    f("substring", "substring(field String | Bytes, start Int [, end Int]): String", Any),
    f("to_string", "to_string(Int | Boolean | IP): String", ValueOnly),
    f("upper", "upper(String): String", Any),
    f("url_decode", "url_decode(source String [, options String]): String", Any),
    f("uuidv4", "uuidv4(source Bytes): String", ValueOnly),
    f("wildcard_replace", "wildcard_replace(source Bytes, wildcard_pattern Bytes, replacement Bytes [, flags Bytes]): String", ValueOnly),
    f("is_timed_hmac_valid_v0", "is_timed_hmac_valid_v0(key String literal, message_mac String, ttl Int literal, current_timestamp Int [, separator_length Int literal [, flags String literal]]): Boolean", Any),
    f("bit_slice", "bit_slice(protocol String, offset_start Int, offset_end Int): Int", Unavailable),
];

/// The documented function of that name.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}
