# The built-in check zone_tls_1_3_enabled, written in Rego: TLS 1.3 must be on (`on` or `zrt`).
package cfcp.bench.zone_tls_1_3_enabled

import rego.v1

deny contains {
	"id": "rego_zone_tls_1_3_enabled",
	"severity": "medium",
	"resource": {"type": "zone", "id": z.zone.id, "name": z.zone.name, "zone": z.zone.name},
	"msg": sprintf("tls_1_3 is %s", [s.value]),
} if {
	some z in input.zones
	some s in z.settings
	s.id == "tls_1_3"
	not s.value in {"on", "zrt"}
}
