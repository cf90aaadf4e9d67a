# The built-in check zone_min_tls_version_secure, written in Rego: the minimum TLS version must be
# 1.2 or higher.
package cfcp.bench.zone_min_tls_version_secure

import rego.v1

deny contains {
	"id": "rego_zone_min_tls_version_secure",
	"severity": "high",
	"resource": {"type": "zone", "id": z.zone.id, "name": z.zone.name, "zone": z.zone.name},
	"msg": sprintf("min_tls_version is %s, below 1.2", [s.value]),
} if {
	some z in input.zones
	some s in z.settings
	s.id == "min_tls_version"
	s.value in {"1.0", "1.1"}
}
