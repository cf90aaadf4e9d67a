//! NIST SP 800-53 Rev. 5: the controls a Cloudflare snapshot holds configuration evidence for.
//!
//! Titles are the controls' official names.

use super::{Control, Framework};

pub(super) const FRAMEWORK: Framework = Framework {
    name: "nist-800-53r5",
    reference_prefix: "NIST-800-53r5",
    title: "NIST SP 800-53 Rev. 5",
    controls: CONTROLS,
};

const CONTROLS: &[Control] = &[
    Control {
        id: "AC-4",
        title: "Information Flow Enforcement",
        not_shown: "Flow control inside the organization's networks and on origins; the approved \
            information flows themselves.",
    },
    Control {
        id: "AC-17",
        title: "Remote Access",
        not_shown: "Usage restrictions, authorization and monitoring of remote access (Cloudflare \
            Access policies are not in the snapshot).",
    },
    Control {
        id: "AU-2",
        title: "Event Logging",
        not_shown:
            "Which events are logged, where logs go and how long they are kept; the snapshot \
            holds no logging configuration yet.",
    },
    Control {
        id: "AU-12",
        title: "Audit Record Generation",
        not_shown:
            "Audit record generation and delivery (Logpush, audit logs); the snapshot holds no \
            logging configuration yet.",
    },
    Control {
        id: "CA-7",
        title: "Continuous Monitoring",
        not_shown:
            "The monitoring strategy, its frequency and who acts on the results; one snapshot \
            is one point in time.",
    },
    Control {
        id: "CM-2",
        title: "Baseline Configuration",
        not_shown:
            "The approved baseline itself; a snapshot (or its diff against a reviewed one) can \
            serve as evidence of the current configuration.",
    },
    Control {
        id: "CM-6",
        title: "Configuration Settings",
        not_shown:
            "The documented, approved settings and deviations from them; the snapshot shows the \
            settings in effect.",
    },
    Control {
        id: "CM-7",
        title: "Least Functionality",
        not_shown: "Functions, ports and services of origins and whether each enabled feature is \
            needed.",
    },
    Control {
        id: "CM-8",
        title: "System Component Inventory",
        not_shown: "Components outside Cloudflare, and ownership and accountability records.",
    },
    Control {
        id: "RA-5",
        title: "Vulnerability Monitoring and Scanning",
        not_shown: "Vulnerability scans of the applications and origins and how findings are \
            remediated.",
    },
    Control {
        id: "SC-5",
        title: "Denial-of-service Protection",
        not_shown:
            "Attack history, capacity of the origins and protection of services not proxied by \
            Cloudflare.",
    },
    Control {
        id: "SC-7",
        title: "Boundary Protection",
        not_shown:
            "Boundary devices outside Cloudflare and whether origins accept connections that \
            bypass it.",
    },
    Control {
        id: "SC-8",
        title: "Transmission Confidentiality and Integrity",
        not_shown:
            "Protection of transmissions that do not pass through Cloudflare (back-end, mail, \
            administration).",
    },
    Control {
        id: "SC-8(1)",
        title: "Cryptographic Protection",
        not_shown: "Cryptographic protection of transmissions that do not pass through Cloudflare.",
    },
    Control {
        id: "SC-12",
        title: "Cryptographic Key Establishment and Management",
        not_shown: "Key generation, storage, rotation and destruction procedures, and keys held \
            outside Cloudflare.",
    },
    Control {
        id: "SC-13",
        title: "Cryptographic Protection",
        not_shown: "Whether the cryptography meets the organization's required types (e.g. FIPS \
            validation) everywhere it is used.",
    },
    Control {
        id: "SC-17",
        title: "Public Key Infrastructure Certificates",
        not_shown: "The certificate policy, and certificates issued outside Cloudflare.",
    },
    Control {
        id: "SC-20",
        title: "Secure Name/Address Resolution Service (Authoritative Source)",
        not_shown: "Whether the DS record is published at the registrar and the chain of trust \
            validates (that needs live DNS lookups).",
    },
    Control {
        id: "SC-21",
        title: "Secure Name/Address Resolution Service (Recursive or Caching Resolver)",
        not_shown: "Whether the resolvers the organization's systems use validate DNSSEC.",
    },
    Control {
        id: "SC-22",
        title: "Architecture and Provisioning for Name/Address Resolution Service",
        not_shown: "Redundancy and separation of name servers not operated by Cloudflare.",
    },
    Control {
        id: "SC-23",
        title: "Session Authenticity",
        not_shown: "Session management in the application itself (cookies, tokens, invalidation).",
    },
    Control {
        id: "SI-2",
        title: "Flaw Remediation",
        not_shown: "Flaw remediation of origins and applications and its timeliness; the snapshot \
            shows only software Cloudflare reports on (such as tunnel connector versions).",
    },
    Control {
        id: "SI-3",
        title: "Malicious Code Protection",
        not_shown: "Malicious code protection on endpoints and servers, and its updates.",
    },
    Control {
        id: "SI-4",
        title: "System Monitoring",
        not_shown: "Whether monitoring output is reviewed and acted on, and monitoring inside the \
            organization's networks.",
    },
    Control {
        id: "SI-8",
        title: "Spam Protection",
        not_shown:
            "Inbound mail filtering at mail servers and gateways; SPF, DKIM and DMARC records \
            only protect the organization's domains from being spoofed.",
    },
    Control {
        id: "SI-10",
        title: "Information Input Validation",
        not_shown:
            "Input validation in the applications themselves; edge rules only filter requests.",
    },
];
