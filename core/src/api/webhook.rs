//! Delivering alerts to a webhook (`cfcp watch --webhook URL`): one JSON `POST` with a timeout,
//! retried on 5xx, 408, 429 and failed connections.
//!
//! The webhook has an HTTP client of its own: the Cloudflare credentials are never in reach of
//! it, so no header of a delivery can carry them. The URL's path and query are kept out of
//! errors and logs ([`Webhook::target`] is scheme, host and port only) because chat services put
//! their secret in the webhook's path.
//!
//! Each delivery carries an `Idempotency-Key` header (a hash of the body), so that a receiver
//! that saw a retried `POST` twice can tell.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::retry::{parse_retry_after, RetryPolicy};
use super::{describe_reqwest, error_chain};
use crate::error::{ApiContext, Error, Result};

/// The default time one delivery attempt may take.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook endpoint.
#[derive(Debug, Clone)]
pub struct Webhook {
    http: reqwest::Client,
    url: reqwest::Url,
    target: String,
    retry: RetryPolicy,
}

/// A successful delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The receiver's (2xx) status.
    pub status: u16,
    /// Attempts made, the successful one included.
    pub attempts: u32,
}

impl Webhook {
    /// A webhook at `url` (http or https, no user info), each attempt limited to `timeout`,
    /// retried 3 times with backoff from 0.5 s to 4 s.
    ///
    /// ```
    /// use cfcp::api::Webhook;
    /// let hook = Webhook::new("https://hooks.example.com/T000/B000/secret", Webhook::default_timeout()).unwrap();
    /// assert_eq!(hook.target(), "https://hooks.example.com");
    /// assert!(Webhook::new("ftp://example.com/", Webhook::default_timeout()).is_err());
    /// ```
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        let bad = |why: &str| Error::Config {
            message: format!("webhook URL: {why}; expected e.g. https://hooks.example.com/cfcp"),
        };
        let url = reqwest::Url::parse(url.trim()).map_err(|e| bad(&format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad("must be an http(s) URL with a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain a user name or password"));
        }
        let mut target = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
        if let Some(port) = url.port() {
            target.push_str(&format!(":{port}"));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cfcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config {
                message: format!("cannot set up the webhook client: {}", error_chain(&e)),
            })?;
        Ok(Webhook {
            http,
            url,
            target,
            retry: RetryPolicy {
                max_retries: 3,
                base: Duration::from_millis(500),
                cap: Duration::from_secs(4),
            },
        })
    }

    /// [`DEFAULT_WEBHOOK_TIMEOUT`].
    pub fn default_timeout() -> Duration {
        DEFAULT_WEBHOOK_TIMEOUT
    }

    /// Replaces the retry policy (tests use milliseconds).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Scheme, host and port: what errors and logs show of the URL.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn context(&self) -> Box<ApiContext> {
        Box::new(ApiContext {
            method: "POST".to_owned(),
            path: format!("webhook {}", self.target),
            ..ApiContext::default()
        })
    }

    /// POSTs `body` as JSON. Retries 5xx, 408, 429 (honouring `Retry-After`, up to the backoff
    /// cap) and transport failures; any other non-2xx answer fails at once.
    pub async fn post_json(&self, body: &(impl Serialize + ?Sized)) -> Result<Delivery> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Config {
            message: format!("the webhook payload cannot be written as JSON: {e}"),
        })?;
        let key = hex::encode(&Sha256::digest(&body)[..16]);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let sent = self
                .http
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", &key)
                .body(body.clone())
                .send()
                .await;
            let (error, retry_after) = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if response.status().is_success() {
                        return Ok(Delivery {
                            status,
                            attempts: attempt,
                        });
                    }
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let error = Error::Api {
                        status,
                        errors: Vec::new(),
                        context: self.context(),
                    };
                    if !(status >= 500 || status == 408 || status == 429) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(e) => (
                    Error::Transport {
                        message: describe_reqwest(e),
                        context: self.context(),
                    },
                    None,
                ),
            };
            if attempt > self.retry.max_retries {
                return Err(error);
            }
            let backoff = self.retry.ceiling(attempt - 1);
            let wait = retry_after.map_or(backoff, |r| r.min(self.retry.cap));
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A receiver answering each connection with the next status of `statuses` (the last one
    /// repeats); returns its URL and the raw requests it saw.
    async fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then the body by Content-Length.
                loop {
                    let read = stream.read(&mut chunk).await.unwrap_or(0);
                    if read == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf).to_string());
                let status = statuses[n.min(statuses.len() - 1)];
                n += 1;
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nretry-after: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        (format!("http://{addr}/hook/s3cret?k=v"), seen)
    }

    fn fast(hook: Webhook) -> Webhook {
        hook.with_retry(RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
        })
    }

    #[tokio::test]
    async fn retries_server_errors_then_delivers() {
        let (url, seen) = receiver(vec![503, 500, 200]).await;
        let hook = fast(Webhook::new(&url, Duration::from_secs(5)).unwrap());
        let delivery = hook.post_json(&serde_json::json!({"a": 1})).await.unwrap();
        assert_eq!(
            delivery,
            Delivery {
                status: 200,
                attempts: 3
            }
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for request in seen.iter() {
            assert!(
                request.starts_with("POST /hook/s3cret?k=v HTTP/1.1\r\n"),
                "{request}"
            );
            assert!(request.ends_with("{\"a\":1}"), "{request}");
            let lower = request.to_ascii_lowercase();
            assert!(lower.contains("content-type: application/json"));
            assert!(lower.contains("idempotency-key: "));
            assert!(!lower.contains("authorization") && !lower.contains("x-auth"));
        }
        let key = |r: &String| {
            r.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("idempotency-key"))
                .map(str::to_owned)
        };
        assert_eq!(key(&seen[0]), key(&seen[2]), "retries carry the same key");
    }

    #[tokio::test]
    async fn client_errors_fail_at_once_without_the_path_in_the_message() {
        let (url, seen) = receiver(vec![400]).await;
        let hook = fast(Webhook::new(&url, Duration::from_secs(5)).unwrap());
        let err = hook.post_json(&serde_json::json!([])).await.unwrap_err();
        assert_eq!(seen.lock().unwrap().len(), 1);
        let text = err.to_string();
        assert!(text.contains("HTTP 400"), "{text}");
        assert!(text.contains(hook.target()), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[tokio::test]
    async fn gives_up_after_the_retries() {
        let (url, seen) = receiver(vec![502]).await;
        let hook = fast(Webhook::new(&url, Duration::from_secs(5)).unwrap());
        let err = hook.post_json(&serde_json::json!({})).await.unwrap_err();
        assert!(matches!(err, Error::Api { status: 502, .. }), "{err}");
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn a_dead_receiver_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        drop(listener);
        let hook = fast(Webhook::new(&url, Duration::from_secs(2)).unwrap());
        let err = hook.post_json(&serde_json::json!({})).await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_slow_receiver_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/slow", listener.local_addr().unwrap());
        // Accepts and never answers.
        let _keep = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let hook = Webhook::new(&url, Duration::from_millis(200))
            .unwrap()
            .with_retry(RetryPolicy {
                max_retries: 1,
                base: Duration::from_millis(1),
                cap: Duration::from_millis(1),
            });
        let started = std::time::Instant::now();
        let err = hook.post_json(&serde_json::json!({})).await.unwrap_err();
        assert!(err.to_string().contains("timed out"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in [
            "",
            "not a url",
            "ftp://h/x",
            "http://user:pw@h/x",
            "file:///etc/passwd",
        ] {
            let err = Webhook::new(url, Duration::from_secs(1)).unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{url}: {err}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
    }
}
