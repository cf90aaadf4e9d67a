//! OWASP ASVS 5.0.0 (May 2025): the requirements a Cloudflare snapshot holds configuration
//! evidence for.
//!
//! Titles are short forms of the requirement texts (`Verify that ...` left out).

use super::{Control, Framework};

pub(super) const FRAMEWORK: Framework = Framework {
    name: "asvs-5.0",
    reference_prefix: "ASVS-5.0.0",
    title: "OWASP ASVS 5.0.0",
    controls: CONTROLS,
};

const CONTROLS: &[Control] = &[
    Control {
        id: "2.4.1",
        title: "Anti-automation controls protect against excessive calls to application functions \
            (data exfiltration, garbage-data creation, quota exhaustion, denial of service, costly \
            resource overuse)",
        not_shown: "Whether limits fit each function's business use, and controls in the application \
            itself.",
    },
    Control {
        id: "3.4.1",
        title: "A Strict-Transport-Security header field on all responses enforces HSTS with a maximum \
            age of at least 1 year (all subdomains from L2 up)",
        not_shown: "HSTS headers the origin sends itself, and hostnames not proxied by Cloudflare.",
    },
    Control {
        id: "3.4.4",
        title: "All responses contain a X-Content-Type-Options: nosniff header field",
        not_shown: "Headers the origin sets itself; only headers Cloudflare adds are configuration.",
    },
    Control {
        id: "3.7.3",
        title: "The application's top-level domain is on the public HSTS preload list",
        not_shown: "Whether the domain is actually on the browsers' preload list (the snapshot shows \
            only the preload directive Cloudflare sends).",
    },
    Control {
        id: "12.1.1",
        title: "Only the latest recommended versions of the TLS protocol are enabled, such as TLS 1.2 and \
            TLS 1.3, the latest preferred",
        not_shown: "Protocol versions offered by origins and services reached without Cloudflare.",
    },
    Control {
        id: "12.1.2",
        title: "Only recommended cipher suites are enabled, with the strongest cipher suites set as \
            preferred",
        not_shown: "The cipher suites actually negotiated (a TLS scan), and those of origins reached \
            directly.",
    },
    Control {
        id: "12.1.5",
        title: "Encrypted Client Hello (ECH) is enabled to prevent exposure of metadata such as the SNI",
        not_shown: "Whether clients actually negotiate ECH (it needs HTTPS records and browser support).",
    },
    Control {
        id: "12.2.1",
        title: "TLS is used for all connectivity between a client and external facing, HTTP-based \
            services, and does not fall back to insecure or unencrypted communications",
        not_shown: "External-facing services that are not proxied by Cloudflare.",
    },
    Control {
        id: "12.2.2",
        title: "External facing services use publicly trusted TLS certificates",
        not_shown: "Certificates of services not proxied by Cloudflare, and certificate expiry or \
            revocation at the time of use.",
    },
    Control {
        id: "12.3.1",
        title: "An encrypted protocol such as TLS is used for all inbound and outbound connections to and \
            from the application, without falling back to insecure or unencrypted protocols",
        not_shown: "Connections between back-end services (databases, queues, monitoring) that do not \
            pass through Cloudflare.",
    },
    Control {
        id: "12.3.2",
        title: "TLS clients validate certificates received before communicating with a TLS server",
        not_shown: "Certificate validation by the application's own outbound clients.",
    },
];
