//! PCI DSS v4.0.1: the requirements a Cloudflare snapshot holds configuration evidence for.
//!
//! Titles are short forms of the requirement statements (PCI SSC's text is the authority).

use super::{Control, Framework};

pub(super) const FRAMEWORK: Framework = Framework {
    name: "pci-dss-4.0.1",
    reference_prefix: "PCI-DSS-4.0.1",
    title: "PCI DSS v4.0.1",
    controls: CONTROLS,
};

const CONTROLS: &[Control] = &[
    Control {
        id: "1.2.1",
        title: "Configuration standards for NSC rulesets are defined, implemented, and maintained",
        not_shown: "Whether the WAF, firewall and rate-limiting rules follow a documented and approved \
            configuration standard; the snapshot shows the rules as they are.",
    },
    Control {
        id: "1.2.5",
        title: "All services, protocols, and ports allowed are identified, approved, and have a defined \
            business need",
        not_shown: "The approval and business justification of each published hostname, tunnel \
            ingress rule and port.",
    },
    Control {
        id: "1.3.1",
        title: "Inbound traffic to the CDE is restricted to only traffic that is necessary, and all other \
            traffic is specifically denied",
        not_shown: "Which systems form the CDE, and whether origins accept traffic that does not come \
            through Cloudflare (origin firewalls are outside the account).",
    },
    Control {
        id: "1.4.1",
        title: "NSCs are implemented between trusted and untrusted networks",
        not_shown: "Network controls outside Cloudflare (origin firewalls, security groups) and whether \
            every public entry point is routed through Cloudflare.",
    },
    Control {
        id: "1.4.2",
        title: "Inbound traffic from untrusted networks to trusted networks is restricted to authorized, \
            publicly accessible services and stateful responses; all other traffic is denied",
        not_shown: "Whether origins refuse direct connections that bypass Cloudflare, and the \
            rules of network devices outside the account.",
    },
    Control {
        id: "1.4.4",
        title: "System components that store cardholder data are not directly accessible from untrusted \
            networks",
        not_shown: "Which hosts store cardholder data; the snapshot shows DNS and proxy \
            configuration, not where data lives.",
    },
    Control {
        id: "1.4.5",
        title: "The disclosure of internal IP addresses and routing information is limited to only \
            authorized parties",
        not_shown: "Disclosure through other channels: error pages, response or mail headers, other \
            DNS providers, documents and tickets.",
    },
    Control {
        id: "2.2.1",
        title: "Configuration standards are developed, implemented, and maintained for all system \
            components, consistent with industry-accepted hardening standards",
        not_shown: "The documented configuration standard, its review and its application to systems \
            outside Cloudflare; the snapshot shows current settings only.",
    },
    Control {
        id: "2.2.4",
        title: "Only necessary services, protocols, daemons, and functions are enabled, and all \
            unnecessary functionality is removed or disabled",
        not_shown: "Services running on the origins and whether each enabled Cloudflare feature has a \
            business need.",
    },
    Control {
        id: "2.2.7",
        title: "All non-console administrative access is encrypted using strong cryptography",
        not_shown: "How administrators reach origins and the Cloudflare dashboard or API (SSO, MFA, \
            token handling); the snapshot holds no access logs or member settings.",
    },
    Control {
        id: "4.2.1",
        title: "Strong cryptography and security protocols are implemented to safeguard PAN during \
            transmission over open, public networks",
        not_shown: "Which hostnames carry PAN, the protocols and certificates on origins and non-HTTP \
            channels, and whether the certificates in use are valid and not revoked.",
    },
    Control {
        id: "5.4.1",
        title: "Processes and automated mechanisms are in place to detect and protect personnel against \
            phishing attacks",
        not_shown: "Inbound mail filtering, link scanning and reporting processes; SPF, DKIM and DMARC \
            only stop others from spoofing the entity's own domains.",
    },
    Control {
        id: "6.3.3",
        title: "All system components are protected from known vulnerabilities by installing \
            applicable security patches/updates",
        not_shown: "Patch levels of origins and applications; the snapshot shows only software \
            Cloudflare reports on (such as tunnel connector versions).",
    },
    Control {
        id: "6.4.1",
        title: "For public-facing web applications, new threats and vulnerabilities are addressed on an \
            ongoing basis and the applications are protected against known attacks",
        not_shown: "Application vulnerability assessments, and whether the WAF is kept up to date, \
            generates audit logs and its alerts are investigated.",
    },
    Control {
        id: "6.4.2",
        title: "For public-facing web applications, an automated technical solution is deployed that \
            continually detects and prevents web-based attacks",
        not_shown: "Whether the WAF is actively running and generating audit logs and alerts that are \
            investigated, and whether every public-facing application is behind it.",
    },
    Control {
        id: "10.2.1",
        title: "Audit logs are enabled and active for all system components and cardholder data",
        not_shown: "Log delivery (Logpush jobs), retention and review; the snapshot holds no logging \
            configuration yet.",
    },
    Control {
        id: "11.5.1",
        title: "Intrusion-detection and/or intrusion-prevention techniques are used to detect and/or \
            prevent intrusions into the network",
        not_shown: "Whether detections reach personnel and are acted on, and intrusion detection at the \
            CDE perimeter and critical points outside Cloudflare.",
    },
    Control {
        id: "12.3.3",
        title: "Cryptographic cipher suites and protocols in use are documented and reviewed at least \
            once every 12 months",
        not_shown: "The documented inventory, its annual review and the plan to respond to \
            cryptographic changes; the snapshot shows the TLS settings in use.",
    },
    Control {
        id: "12.5.1",
        title: "An inventory of system components that are in scope for PCI DSS, including a description \
            of function/use, is maintained and kept current",
        not_shown: "Which components are in scope and the inventory itself; the snapshot inventories \
            Cloudflare-side configuration only.",
    },
];
