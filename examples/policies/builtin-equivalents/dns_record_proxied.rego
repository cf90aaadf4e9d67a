# The built-in check dns_record_proxied, written in Rego (the same work, for `cargo xtask bench
# check`): every A, AAAA and CNAME record Cloudflare can proxy, whose address is not internal, is
# proxied, unless it must stay DNS-only: a name with a `_` label, a target of the zone's MX or SRV
# records, a host with SSHFP records or TLSA records for a port other than 443, or a CNAME to an
# email provider's host.
package cfcp.bench.dns_record_proxied

import rego.v1

internal_ranges := [
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
]

email_provider_suffixes := [
	"sendgrid.net", "mailgun.org", "amazonses.com", "mcsv.net", "mandrillapp.com",
	"mtasv.net", "postmarkapp.com", "sparkpostmail.com", "domainkey.outlook.com",
	"onmicrosoft.com",
]

fqdn(name) := lower(trim_suffix(trim_space(name), "."))

under(name, suffix) if name == suffix

under(name, suffix) if endswith(name, concat("", [".", suffix]))

internal(r) if {
	r.type in {"A", "AAAA"}
	some range in internal_ranges
	net.cidr_contains(range, trim_space(r.content))
}

# IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) of internal IPv4 ranges.
internal(r) if {
	r.type == "AAAA"
	some range in internal_ranges
	contains(range, ".")
	net.cidr_contains(concat("", ["::ffff:", range]), trim_space(r.content))
}

# Names of the zone that must stay DNS-only.
dns_only(z) := {name |
	some r in z.dns_records
	some name in dns_only_name(r)
}

dns_only_name(r) := {fqdn(host)} if {
	r.type == "MX"
	words := split(trim_space(r.content), " ")
	count(words) >= 2
	to_number(words[0])
	host := words[1]
} else := {fqdn(r.content)} if {
	r.type == "MX"
} else := {fqdn(r.data.target)} if {
	r.type == "SRV"
	is_string(r.data.target)
} else := {fqdn(last)} if {
	r.type == "SRV"
	words := split(trim_space(r.content), " ")
	last := words[count(words) - 1]
} else := {fqdn(r.name)} if {
	r.type == "SSHFP"
} else := {host} if {
	r.type == "TLSA"
	parts := split(fqdn(r.name), ".")
	count(parts) >= 3
	port := trim_prefix(parts[0], "_")
	port != "443"
	to_number(port) >= 0
	host := concat(".", array.slice(parts, 2, count(parts)))
} else := set()

exempt(r, _) if {
	some label in split(fqdn(r.name), ".")
	startswith(label, "_")
}

exempt(r, only) if fqdn(r.name) in only

exempt(r, _) if {
	r.type == "CNAME"
	some suffix in email_provider_suffixes
	under(fqdn(r.content), suffix)
}

deny contains {
	"id": "rego_dns_record_proxied",
	"severity": "medium",
	"resource": {"type": "dns_record", "id": r.id, "name": sprintf("%s %s", [r.type, r.name]), "zone": z.zone.name},
	"msg": sprintf("DNS-only: %s %s publishes %s and bypasses Cloudflare", [r.type, r.name, r.content]),
} if {
	some z in input.zones
	only := dns_only(z)
	some r in z.dns_records
	r.type in {"A", "AAAA", "CNAME"}
	r.proxiable != false
	not r.proxied
	not internal(r)
	not exempt(r, only)
}
