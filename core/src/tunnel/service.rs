//! The origin service of an ingress rule, checked the way cloudflared checks it.

/// The service forms cloudflared accepts, for error messages.
pub const ACCEPTED_FORMS: &str = "http://host[:port], https://host[:port], tcp://host[:port], \
ssh://host[:port], rdp://host[:port], unix:/path, unix+tls:/path, http_status:NNN, hello_world, bastion";

/// Checks `service`; the error says what is wrong (the caller adds the accepted forms).
///
/// ```
/// use cfcp::tunnel::check_service;
/// assert!(check_service("http://localhost:8080").is_ok());
/// assert!(check_service("http_status:404").is_ok());
/// assert!(check_service("unix:/run/app.sock").is_ok());
/// assert!(check_service("ftp://host").is_err());
/// assert!(check_service("http://host:8080/api").is_err());
/// ```
pub fn check_service(service: &str) -> Result<(), String> {
    match service {
        "hello_world" | "bastion" => return Ok(()),
        "" => return Err("the service is empty".into()),
        _ => {}
    }
    if let Some(code) = service.strip_prefix("http_status:") {
        return match code.parse::<u16>() {
            Ok(c) if (100..=599).contains(&c) && code.len() == 3 => Ok(()),
            _ => Err(format!(
                "{service:?}: http_status needs a three-digit HTTP status between 100 and 599"
            )),
        };
    }
    for prefix in ["unix+tls:", "unix:"] {
        if let Some(path) = service.strip_prefix(prefix) {
            return if path.starts_with('/') && !path.chars().any(char::is_whitespace) {
                Ok(())
            } else {
                Err(format!(
                    "{service:?}: a unix socket service needs an absolute path ({prefix}/path)"
                ))
            };
        }
    }
    let Some((scheme, rest)) = service.split_once("://") else {
        return Err(format!("{service:?} is not a URL nor a named service"));
    };
    if !matches!(scheme, "http" | "https" | "tcp" | "ssh" | "rdp" | "smb") {
        return Err(format!(
            "{service:?}: scheme {scheme:?} is not one cloudflared proxies to"
        ));
    }
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    if !(path.is_empty() || path == "/") {
        return Err(format!(
            "{service:?}: ingress services cannot have a path; the request's own path is sent to the origin"
        ));
    }
    if authority.contains(['@', '?', '#']) || rest.contains(['?', '#']) {
        return Err(format!(
            "{service:?}: only scheme, host and port are allowed"
        ));
    }
    let (host, port) = split_host_port(authority)
        .ok_or_else(|| format!("{service:?}: the host or port is not valid"))?;
    if !is_host(host) {
        return Err(format!(
            "{service:?}: {host:?} is not a host name or IP address"
        ));
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => {
                return Err(format!(
                    "{service:?}: port {port:?} is not between 1 and 65535"
                ))
            }
        }
    }
    Ok(())
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        return match rest {
            "" => Some((host, None)),
            _ => Some((host, Some(rest.strip_prefix(':')?))),
        };
    }
    match authority.split_once(':') {
        Some((host, port)) => Some((host, Some(port))),
        None => Some((authority, None)),
    }
}

fn is_host(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok() || is_dns_name(host, false)
}

/// Whether `name` is a DNS name (labels of letters, digits, `-` and `_`); with `wildcard`, a
/// leading `*.` label is allowed, as cloudflared allows it in ingress hostnames.
pub(crate) fn is_dns_name(name: &str, wildcard: bool) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let name = match name.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        _ => name,
    };
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        for ok in [
            "http://localhost:8000",
            "https://10.0.1.30:3000",
            "http://[::1]:8080",
            "https://origin.internal",
            "tcp://db:5432",
            "ssh://localhost:22",
            "rdp://10.0.0.5:3389",
            "unix:/var/run/app.sock",
            "unix+tls:/var/run/app.sock",
            "http_status:404",
            "hello_world",
            "bastion",
            "http://localhost:8080/",
        ] {
            assert_eq!(check_service(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_what_cloudflared_rejects() {
        for bad in [
            "",
            "localhost:8080",
            "ftp://host",
            "http://",
            "http://host:0",
            "http://host:70000",
            "http://host:port",
            "http://host/path",
            "http://user@host",
            "http_status:99",
            "http_status:4040",
            "http_status:abc",
            "unix:relative.sock",
            "http://bad host",
            "http://[zz::1]:80",
        ] {
            assert!(check_service(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        assert!(is_dns_name("app.example.com", false));
        assert!(is_dns_name("*.example.com", true));
        assert!(!is_dns_name("*.example.com", false));
        assert!(!is_dns_name("a..b", false));
        assert!(!is_dns_name("-a.b", false));
        assert!(!is_dns_name("", true));
    }
}
