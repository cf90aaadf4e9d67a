# Every DNS record that exposes an address directly (an unproxied A, AAAA or CNAME record) must
# name the team that owns it, with a `team:<name>` tag: when an origin leaks or a target is
# abandoned, someone has to be asked.
#
# Try it:  cfcp check --policy examples/policies
package cfcp.custom.record_ownership

import rego.v1

exposing_types := {"A", "AAAA", "CNAME"}

deny contains finding if {
	some z in input.zones
	some r in z.dns_records
	r.type in exposing_types
	not r.proxied
	not has_owner(r)
	finding := {
		"id": "dns_record_exposed_has_owner",
		"title": "Unproxied A/AAAA/CNAME records carry a team:<owner> tag",
		"severity": "low",
		"resource": {"type": "dns_record", "id": r.id, "name": sprintf("%s %s", [r.type, r.name]), "zone": z.zone.name},
		"msg": sprintf("%s %s points at %s without Cloudflare's proxy and has no team:<owner> tag", [r.type, r.name, r.content]),
		"remediation": {
			"text": "Add a tag `team:<owner>` to the record (or proxy it).",
			"api": sprintf("PATCH /zones/%s/dns_records/%s {\"tags\":[\"team:<owner>\"]}", [z.zone.id, r.id]),
			"terraform": "",
		},
		"compliance": ["NIST-800-53r5:CM-8"],
	}
}

has_owner(r) if {
	some tag in r.tags
	startswith(tag, "team:")
}
