# The built-in check zone_dnssec_enabled, written in Rego: DNSSEC must be active. A zone whose
# DNSSEC state is not in the snapshot produces no finding (the built-in reports UNKNOWN).
package cfcp.bench.zone_dnssec_enabled

import rego.v1

deny contains {
	"id": "rego_zone_dnssec_enabled",
	"severity": "medium",
	"resource": {"type": "zone", "id": z.zone.id, "name": z.zone.name, "zone": z.zone.name},
	"msg": sprintf("DNSSEC status is %s, not active", [z.dnssec.status]),
} if {
	some z in input.zones
	z.dnssec.status != "active"
}
