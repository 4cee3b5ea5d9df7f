//! One API call, done right: paced, sent with the headers the service insists on, its answer
//! classified, retried with backoff when that can help, and logged without the key.

use super::classify::{Failure, check};
use super::pacer::Pacer;
use super::{ApiError, Client, ClientOptions, FolderId, Result};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Url, redirect};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// The user agent of every request.
pub(crate) const USER_AGENT: &str = concat!("fichier-tui/", env!("CARGO_PKG_VERSION"));
/// A whole API call (not a transfer) may take this long.
const API_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Answers larger than this are refused rather than held in memory (a listing of tens of
/// thousands of files is a few tens of MB).
const MAX_ANSWER: usize = 128 << 20;
/// Tries after a malformed answer to a call that is safe to repeat.
const PROTOCOL_RETRIES: u32 = 2;
/// After `#38`, `user/info.cgi` is not called again for this long.
pub(crate) const ACCOUNT_FLOOD_WAIT: Duration = Duration::from_secs(60);
/// The longest pause between two tries of a failed call.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// An endpoint and whether a second try is harmless when the first may have reached the service.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint {
    pub path: &'static str,
    pub get: bool,
    pub idempotent: bool,
}

impl Endpoint {
    /// A call that only reads: repeat it freely.
    pub(crate) const fn read(path: &'static str) -> Self {
        Endpoint {
            path,
            get: false,
            idempotent: true,
        }
    }
    /// A call that changes something: repeat it only when the service surely did not act.
    pub(crate) const fn write(path: &'static str) -> Self {
        Endpoint {
            path,
            get: false,
            idempotent: false,
        }
    }
    pub(crate) const fn get(path: &'static str) -> Self {
        Endpoint {
            path,
            get: true,
            idempotent: true,
        }
    }
}

/// What every clone of a `Client` shares.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// The base URL, without a trailing slash.
    pub(crate) base: String,
    /// `https`, or `http` for a loopback base URL; upload hosts use the same.
    pub(crate) scheme: &'static str,
    /// `Bearer <key>`, marked sensitive so no Debug output shows it.
    pub(crate) auth: HeaderValue,
    pub(crate) pacer: Pacer,
    pub(crate) max_retries: u32,
    pub(crate) retry_base: Duration,
    pub(crate) max_flood_wait: Duration,
    /// After a `#38`, `user/info.cgi` is not called before this instant.
    pub(crate) account_gate: Mutex<Option<Instant>>,
    /// One `user/info.cgi` at a time, and the last account it read with when: callers that
    /// queued behind a call take its answer instead of calling again.
    pub(crate) account_last: tokio::sync::Mutex<Option<(Instant, super::AccountInfo)>>,
    /// When each folder was last seen to exist (a successful listing), so a run of uploads into
    /// one folder checks it once per `FOLDER_TRUST`, not once per file.
    pub(crate) seen_folders: Mutex<HashMap<FolderId, Instant>>,
}

impl Inner {
    pub(crate) fn new(o: ClientOptions) -> Result<Self> {
        let base = o.base_url.trim().trim_end_matches('/').to_string();
        let url = check_url(&base)?;
        let scheme = if url.scheme() == "https" {
            "https"
        } else {
            "http"
        };
        if o.calls_per_second.is_nan() || o.calls_per_second <= 0.0 {
            return Err(ApiError::Invalid(
                "the API call rate must be more than 0 calls a second".into(),
            ));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", o.key.expose())).map_err(|_| {
            ApiError::Invalid(
                "the API key holds characters that cannot be sent: check FICHIER_API_KEY or api_key in the config file"
                    .into(),
            )
        })?;
        auth.set_sensitive(true);
        // reqwest is built without a default crypto provider; the first client installs ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            // upload.cgi answers 302 to end.pl: we call end.pl ourselves.
            .redirect(redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| {
                ApiError::Invalid(format!("cannot set up the HTTP client: {}", describe(&e)))
            })?;
        Ok(Inner {
            http,
            base,
            scheme,
            auth,
            pacer: Pacer::new(o.calls_per_second, o.flood_wait, o.max_flood_wait),
            max_retries: o.max_retries,
            retry_base: o.retry_base,
            max_flood_wait: o.max_flood_wait,
            account_gate: Mutex::new(None),
            account_last: tokio::sync::Mutex::new(None),
            seen_folders: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn seen_folders(&self) -> std::sync::MutexGuard<'_, HashMap<FolderId, Instant>> {
        self.seen_folders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn account_gate(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.account_gate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost).
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Parses a URL we are about to send the key or file bytes to: https, or http on loopback only.
pub(crate) fn check_url(text: &str) -> Result<Url> {
    let insecure = || ApiError::InsecureUrl {
        url: text.to_string(),
    };
    let url = Url::parse(text).map_err(|_| insecure())?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(insecure()),
    }
}

/// A pause before try number `attempt` (1 for the first retry): doubling, capped, with jitter so
/// clients that failed together do not come back together.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    doubled.min(MAX_BACKOFF).mul_f64(0.5 + fastrand::f64())
}

/// A reqwest error in a few words, with its causes (never with a header: reqwest has none in it).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_body() || e.is_decode() {
        "connection dropped during the answer".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// Reads a whole answer, refusing one larger than `cap`.
pub(crate) async fn read_body(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(format!("the answer is larger than {cap} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(describe(&e)),
        }
    }
}

/// One try of a call.
enum Attempt {
    Done(Vec<u8>),
    Failed(Failure),
    /// No answer; `sent` when the request may have reached the service.
    Network {
        detail: String,
        sent: bool,
    },
}

impl Client {
    /// Calls an endpoint and reads its answer as `T`, straight from the bytes.
    pub(crate) async fn call<T: DeserializeOwned>(&self, ep: Endpoint, body: Value) -> Result<T> {
        let answer = self.call_raw(ep, &body).await?;
        serde_json::from_slice(&answer).map_err(|e| ApiError::Protocol {
            detail: format!("{}: {e}", ep.path),
        })
    }

    /// Calls an endpoint; the answer as JSON.
    pub(crate) async fn call_value(&self, ep: Endpoint, body: &Value) -> Result<Value> {
        let answer = self.call_raw(ep, body).await?;
        serde_json::from_slice(&answer).map_err(|e| ApiError::Protocol {
            detail: format!("{}: {e}", ep.path),
        })
    }

    /// Calls an endpoint: pacing, retries and error classification; the successful answer's
    /// bytes (checked to be JSON).
    async fn call_raw(&self, ep: Endpoint, body: &Value) -> Result<Vec<u8>> {
        let inner = &self.inner;
        let (mut tries, mut floods, mut malformed) = (0u32, 0u32, 0u32);
        loop {
            let permit = inner.pacer.acquire().await;
            let started = Instant::now();
            let attempt = self.send_once(ep, body).await;
            let ms = started.elapsed().as_millis() as u64;
            let failure = match attempt {
                Attempt::Done(v) => {
                    tracing::debug!(endpoint = ep.path, ms, "api call ok");
                    inner.pacer.success(permit);
                    return Ok(v);
                }
                Attempt::Failed(f) => f,
                Attempt::Network { detail, sent } => {
                    tracing::debug!(endpoint = ep.path, ms, %detail, sent, "api call got no answer");
                    tries += 1;
                    if (sent && !ep.idempotent) || tries > inner.max_retries {
                        return Err(ApiError::Network { detail });
                    }
                    tokio::time::sleep(backoff(inner.retry_base, tries)).await;
                    continue;
                }
            };
            tracing::debug!(endpoint = ep.path, ms, failure = ?failure, "api call failed");
            match failure {
                Failure::Fatal(e) => return Err(e),
                Failure::Flood { message } => {
                    floods += 1;
                    if floods > inner.max_retries {
                        return Err(ApiError::Flood {
                            message,
                            wait: None,
                        });
                    }
                    let wait = inner.pacer.flood(permit, "flood lock");
                    tracing::warn!(endpoint = ep.path, wait_s = wait.as_secs(), %message, "flood lock: pausing every API call");
                }
                Failure::AccountFlood { message } => {
                    *inner.account_gate() = Some(Instant::now() + ACCOUNT_FLOOD_WAIT);
                    return Err(ApiError::Flood {
                        message,
                        wait: Some(ACCOUNT_FLOOD_WAIT),
                    });
                }
                Failure::UserLocked { message } => {
                    inner
                        .pacer
                        .hold(inner.max_flood_wait, "account locked for calling too often");
                    return Err(ApiError::Flood {
                        message,
                        wait: Some(inner.max_flood_wait),
                    });
                }
                Failure::Retry {
                    status,
                    message,
                    retry_after,
                } => {
                    tries += 1;
                    // 500 may come after the service acted; the others mean it did not.
                    let unsafe_again = status == 500 && !ep.idempotent;
                    if unsafe_again || tries > inner.max_retries {
                        return Err(if status == 429 {
                            ApiError::Flood {
                                message,
                                wait: retry_after,
                            }
                        } else {
                            ApiError::Server {
                                status,
                                attempts: tries,
                            }
                        });
                    }
                    let pause =
                        backoff(inner.retry_base, tries).max(retry_after.unwrap_or_default());
                    tokio::time::sleep(pause.min(inner.max_flood_wait)).await;
                }
                Failure::Protocol { detail } => {
                    malformed += 1;
                    if !ep.idempotent || malformed > PROTOCOL_RETRIES {
                        return Err(ApiError::Protocol {
                            detail: format!("{}: {detail}", ep.path),
                        });
                    }
                    tokio::time::sleep(backoff(inner.retry_base, malformed)).await;
                }
            }
        }
    }

    async fn send_once(&self, ep: Endpoint, body: &Value) -> Attempt {
        let inner = &self.inner;
        let url = format!("{}/{}", inner.base, ep.path);
        let request = if ep.get {
            inner.http.get(url)
        } else {
            // serde_json cannot fail on a Value.
            inner
                .http
                .post(url)
                .body(serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()))
        };
        let sent = request
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, inner.auth.clone())
            .timeout(API_TIMEOUT)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Network {
                    detail: describe(&e),
                    sent: !e.is_connect(),
                };
            }
        };
        let status = resp.status().as_u16();
        let wait = retry_after(resp.headers());
        match read_body(resp, MAX_ANSWER).await {
            Ok(bytes) => match check(status, &bytes, wait) {
                Ok(()) => Attempt::Done(bytes),
                Err(f) => Attempt::Failed(f),
            },
            Err(detail) => Attempt::Network { detail, sent: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiKey;

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://api.1fichier.com/v1",
            "http://127.0.0.1:8080/v1",
            "http://127.5.6.7/v1",
            "http://[::1]:9000/v1",
            "http://localhost:3000/v1",
            "http://LOCALHOST/v1",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.1fichier.com/v1",
            "http://10.0.0.1/v1",
            "http://localhost.evil.com/v1",
            "http://[::2]/v1",
            "ftp://127.0.0.1/v1",
            "api.1fichier.com/v1",
            "",
        ] {
            assert!(
                matches!(check_url(bad), Err(ApiError::InsecureUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_refuses_plain_http_and_keeps_a_loopback_scheme() {
        let key = ApiKey::new("k");
        let e = Client::new(ClientOptions::new(
            "http://api.1fichier.com/v1",
            key.clone(),
        ))
        .unwrap_err();
        assert!(matches!(e, ApiError::InsecureUrl { .. }));
        assert!(e.to_string().contains("https"));
        let c = Client::new(ClientOptions::new("http://127.0.0.1:1/v1/", key.clone())).unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:1/v1");
        assert_eq!(c.inner.scheme, "http");
        let c = Client::new(ClientOptions::new(crate::api::DEFAULT_API_URL, key)).unwrap();
        assert_eq!(c.inner.scheme, "https");
    }

    #[test]
    fn the_key_never_shows() {
        let secret = "S3cretKeyValue42";
        let key = ApiKey::new(secret);
        assert!(!format!("{key:?} {key}").contains(secret));
        let options = ClientOptions::new("http://127.0.0.1:1/v1", key.clone());
        assert!(!format!("{options:?}").contains(secret));
        let client = Client::new(options).unwrap();
        assert!(!format!("{client:?}").contains(secret));
        assert!(!format!("{:?}", client.inner.auth).contains(secret));
        let bad = Client::new(ClientOptions::new("http://10.0.0.1/v1", key)).unwrap_err();
        assert!(!format!("{bad} {bad:?}").contains(secret));
        let bad = Client::new(ClientOptions::new(
            "http://127.0.0.1/v1",
            ApiKey::new("bad\nkey"),
        ))
        .unwrap_err();
        assert!(!format!("{bad} {bad:?}").contains("bad\nkey"));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let base = Duration::from_millis(500);
        for attempt in 1..8 {
            let nominal = (base * (1 << (attempt - 1))).min(MAX_BACKOFF);
            let d = backoff(base, attempt);
            assert!(
                d >= nominal.mul_f64(0.5) && d <= nominal.mul_f64(1.5),
                "{attempt}: {d:?}"
            );
        }
        assert!(backoff(base, 40) <= MAX_BACKOFF.mul_f64(1.5));
    }
}
