//! OWASP ASVS 4.0.3: the requirements a Cloudflare snapshot holds configuration evidence for.
//!
//! Titles are short forms of the requirement texts (`Verify that ...` left out).

use super::{Control, Framework};

pub(super) const FRAMEWORK: Framework = Framework {
    name: "asvs-4.0.3",
    reference_prefix: "ASVS-4.0.3",
    title: "OWASP ASVS 4.0.3",
    controls: CONTROLS,
};

const CONTROLS: &[Control] = &[
    Control {
        id: "1.14.1",
        title: "Components of differing trust levels are segregated through well-defined security \
            controls, firewall rules, API gateways, reverse proxies or similar mechanisms",
        not_shown: "Segregation behind Cloudflare (internal networks, security groups) and whether \
            origins can be reached without the proxy.",
    },
    Control {
        id: "2.2.1",
        title: "Anti-automation controls are effective at mitigating breached credential testing, brute \
            force, and account lockout attacks",
        not_shown: "Controls in the application itself (lockout, breached-password checks, step-up) and \
            whether edge rules cover every authentication endpoint.",
    },
    Control {
        id: "9.1.1",
        title: "TLS is used for all client connectivity, and does not fall back to insecure or \
            unencrypted communications",
        not_shown: "Client connections that do not go through Cloudflare, and non-HTTP protocols.",
    },
    Control {
        id: "9.1.2",
        title: "Only strong cipher suites are enabled, with the strongest cipher suites set as preferred",
        not_shown: "The cipher suites actually negotiated (a TLS scan), and those of origins reached \
            directly.",
    },
    Control {
        id: "9.1.3",
        title: "Only the latest recommended versions of the TLS protocol are enabled, such as TLS 1.2 and \
            TLS 1.3, the latest preferred",
        not_shown: "Protocol versions offered by origins and services reached without Cloudflare.",
    },
    Control {
        id: "9.2.1",
        title: "Connections to and from the server use trusted TLS certificates",
        not_shown: "The certificates installed on origins and the trust stores of back-end clients.",
    },
    Control {
        id: "9.2.2",
        title: "Encrypted communications such as TLS are used for all inbound and outbound connections, \
            without falling back to insecure or unencrypted protocols",
        not_shown: "Connections between back-end services (databases, queues, monitoring) that do not \
            pass through Cloudflare.",
    },
    Control {
        id: "10.3.3",
        title: "The application has protection from subdomain takeovers (expired domains, out-of-date DNS \
            pointers or CNAMEs, transient cloud resources)",
        not_shown: "Whether third-party targets are still claimed by the organization (that needs live \
            lookups), and DNS hosted outside Cloudflare.",
    },
    Control {
        id: "11.1.4",
        title: "Anti-automation controls protect against excessive calls such as mass data exfiltration, \
            business logic requests, file uploads or denial of service attacks",
        not_shown: "Whether limits fit each endpoint's business use, and controls in the application \
            itself.",
    },
    Control {
        id: "14.4.4",
        title: "All responses contain a X-Content-Type-Options: nosniff header",
        not_shown: "Headers the origin sets itself; only headers Cloudflare adds are configuration.",
    },
    Control {
        id: "14.4.5",
        title: "A Strict-Transport-Security header is included on all responses and for all subdomains",
        not_shown: "HSTS headers the origin sends itself, and hostnames not proxied by Cloudflare.",
    },
];
