# The built-in check zone_ssl_strict, written in Rego (for `cargo xtask bench check` and as an
# example). A zone without an `ssl` setting produces no finding (the built-in reports UNKNOWN).
package cfcp.bench.zone_ssl_strict

import rego.v1

deny contains {
	"id": "rego_zone_ssl_strict",
	"severity": "high",
	"resource": {"type": "zone", "id": z.zone.id, "name": z.zone.name, "zone": z.zone.name},
	"msg": sprintf("ssl is %s, not strict", [s.value]),
} if {
	some z in input.zones
	some s in z.settings
	s.id == "ssl"
	not s.value in {"strict", "origin_pull"}
}
