//! Reads one answer of the service: the body's status decides first (a KO can come with HTTP 200),
//! then the HTTP status. Pure functions, so every code of the contract is unit-tested.

use super::ApiError;
use serde_json::{Map, Value};
use std::time::Duration;

/// What the caller should do with an answer that is not a success.
#[derive(Debug)]
pub(crate) enum Failure {
    /// `#374`, `#412`: the IP is locked; pause every call, then try again.
    Flood { message: String },
    /// `#38`: `user/info.cgi` was called too often; do not try again for a minute.
    AccountFlood { message: String },
    /// `#223`: the account is locked for calling too often; wait minutes.
    UserLocked { message: String },
    /// 429 and 5xx (or a KO that came with one): worth another try after a backoff.
    Retry {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The answer is not what the contract describes (not JSON, truncated).
    Protocol { detail: String },
    /// Reported as is, never retried.
    Fatal(ApiError),
}

impl Failure {
    /// The error to report when this failure is not retried here (transfers: their owner retries).
    pub(crate) fn into_error(self) -> ApiError {
        match self {
            Failure::Flood { message } | Failure::UserLocked { message } => ApiError::Flood {
                message,
                wait: None,
            },
            Failure::AccountFlood { message } => ApiError::Flood {
                message,
                wait: Some(Duration::from_secs(60)),
            },
            Failure::Retry {
                status: 429,
                message,
                retry_after,
            } => ApiError::Flood {
                message,
                wait: retry_after,
            },
            Failure::Retry { status, .. } => ApiError::Server {
                status,
                attempts: 1,
            },
            Failure::Protocol { detail } => ApiError::Protocol { detail },
            Failure::Fatal(e) => e,
        }
    }
}

/// HTTP statuses that mean "try again later".
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504 | 509)
}

/// The value of `key` in `map`, whatever the case of the key (`Status`, `status`, `STATUS`).
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The `#<code>` a KO message ends with, if any (the last one when there are several).
pub(crate) fn error_code(message: &str) -> Option<u32> {
    let mut found = None;
    let mut rest = message;
    while let Some(i) = rest.find('#') {
        rest = &rest[i + 1..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(code) = digits.parse() {
            found = Some(code);
        }
    }
    found
}

/// A short, printable excerpt of a body that was not what we expected.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(80)
        .collect();
    let one_line = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        format!("{} bytes", body.len())
    } else {
        format!("{} bytes starting with `{one_line}`", body.len())
    }
}

/// Classifies an answer. A success gives the parsed JSON value.
pub(crate) fn classify(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Result<Value, Failure> {
    check(status, body, retry_after)?;
    serde_json::from_slice(body).map_err(|_| Failure::Protocol {
        detail: format!("expected JSON, got {}", excerpt(body)),
    })
}

/// Classifies an answer without building it as a JSON value: only the top level's status and
/// message keys are kept, the rest is checked and skipped. A success leaves the body to be read
/// straight into its type (a 50,000-file listing is not copied into a value first).
pub(crate) fn check(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Result<(), Failure> {
    let envelope: Option<Envelope> = serde_json::from_slice(body).ok();
    let mut message = String::new();
    let mut verdict = None;
    if let Some(Envelope(Some(map))) = &envelope {
        if let Some(m) = get_ci(map, "message") {
            message = match m {
                Value::String(s) => s.trim().to_string(),
                other => other.to_string(),
            };
        }
        verdict = get_ci(map, "status")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_uppercase());
    }
    match (verdict.as_deref(), envelope.is_some()) {
        (Some("OK"), true) => Ok(()),
        (Some("KO"), _) => Err(classify_ko(status, message, retry_after)),
        // No verdict in the body: the HTTP status decides.
        (_, parsed) => classify_by_status(status, parsed, body, message, retry_after),
    }
}

/// The top of an answer: its keys that are `status` or `message` in any case (with their
/// values), `None` when it is JSON but not an object.
struct Envelope(Option<Map<String, Value>>);

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> serde::de::Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("status") || key.eq_ignore_ascii_case("message") {
                let value: Value = map.next_value()?;
                kept.insert(key, value);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Envelope(Some(kept)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Envelope, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Envelope(None))
    }

    fn visit_unit<E>(self) -> Result<Envelope, E> {
        Ok(Envelope(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Envelope, E> {
        Ok(Envelope(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Envelope, E> {
        Ok(Envelope(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Envelope, E> {
        Ok(Envelope(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Envelope, E> {
        Ok(Envelope(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<Envelope, E> {
        Ok(Envelope(None))
    }
}

fn classify_by_status(
    status: u16,
    parsed: bool,
    body: &[u8],
    message: String,
    retry_after: Option<Duration>,
) -> Result<(), Failure> {
    match (status, parsed) {
        (200..=299, true) => Ok(()),
        (200..=299, false) => Err(Failure::Protocol {
            detail: format!("expected JSON, got {}", excerpt(body)),
        }),
        (_, _) => Err(classify_ko(status, message, retry_after)),
    }
}

/// A failure, from the message's code first, then from the HTTP status.
fn classify_ko(status: u16, message: String, retry_after: Option<Duration>) -> Failure {
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    let lower = message.to_ascii_lowercase();
    match error_code(&message) {
        Some(374 | 412) => return Failure::Flood { message },
        Some(38) => return Failure::AccountFlood { message },
        Some(223) => return Failure::UserLocked { message },
        Some(247 | 93) => return Failure::Fatal(ApiError::Auth { message }),
        Some(200) => return Failure::Fatal(ApiError::NotPremium { message }),
        Some(186 | 887 | 913) => return Failure::Fatal(ApiError::Blocked { message }),
        Some(469) => return Failure::Fatal(ApiError::NotFound { message }),
        Some(_) => {}
        None => {
            if lower.contains("owner locked") || lower.contains("locations allowed") {
                return Failure::Fatal(ApiError::Blocked { message });
            }
            if lower.contains("flood") {
                return Failure::Flood { message };
            }
        }
    }
    match status {
        401 => Failure::Fatal(ApiError::Auth { message }),
        404 => Failure::Fatal(ApiError::NotFound { message }),
        s if retryable_status(s) => Failure::Retry {
            status: s,
            message,
            retry_after,
        },
        _ => Failure::Fatal(ApiError::Service { message }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ko(status: u16, body: &str) -> Failure {
        match classify(status, body.as_bytes(), None) {
            Ok(v) => panic!("expected a failure, got {v}"),
            Err(f) => f,
        }
    }

    fn fatal(status: u16, body: &str) -> ApiError {
        match ko(status, body) {
            Failure::Fatal(e) => e,
            other => panic!("expected a fatal error, got {other:?}"),
        }
    }

    #[test]
    fn check_reads_the_same_verdicts_without_a_value() {
        for (status, body) in [
            (200, r#"{"status":"OK","items":[{"a":1}]}"#),
            (200, r#"{"Status":"ok","message":{"x":1}}"#),
            (
                200,
                r#"{"status":"KO","message":"Flood detected #374","status":"OK"}"#,
            ),
            (200, r#"{"STATUS":"KO","status":"OK"}"#),
            (200, r#"[1,2,3]"#),
            (200, r#""text""#),
            (200, "null"),
            (200, "{\"status\":\"OK\""),
            (200, "<html>busy</html>"),
            (
                403,
                r#"{"message":"Flood detected: IP Locked #374","status":"KO"}"#,
            ),
            (500, r#"{"items":[]}"#),
            (404, ""),
        ] {
            let value = classify(status, body.as_bytes(), None);
            let checked = check(status, body.as_bytes(), None);
            assert_eq!(
                format!("{:?}", value.as_ref().map(drop)),
                format!("{checked:?}"),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn ok_bodies_pass_whatever_the_case_of_the_keys() {
        let v = classify(200, br#"{"Status":"OK","folder_id":3}"#, None).unwrap();
        assert_eq!(v["folder_id"], 3);
        assert!(classify(200, br#"{"status":"ok"}"#, None).is_ok());
        // No status at all (get_upload_server, end.pl): the HTTP status decides.
        assert!(classify(200, br#"{"url":"up1.1fichier.com","id":"abc"}"#, None).is_ok());
    }

    #[test]
    fn ko_with_http_200_is_a_failure() {
        let e = fatal(
            200,
            r#"{"status":"KO","message":"Resource not allowed #631"}"#,
        );
        assert!(
            matches!(e, ApiError::Service { ref message } if message == "Resource not allowed #631")
        );
        let e = fatal(200, r#"{"STATUS":"KO","MESSAGE":"Not authenticated #247"}"#);
        assert!(matches!(e, ApiError::Auth { .. }));
    }

    #[test]
    fn each_code_lands_in_its_class() {
        assert!(matches!(
            ko(
                403,
                r#"{"message":"Flood detected: IP Locked #374","status":"KO"}"#
            ),
            Failure::Flood { .. }
        ));
        assert!(matches!(
            ko(
                403,
                r#"{"message":"Flood detected: IP Locked #412","status":"KO"}"#
            ),
            Failure::Flood { .. }
        ));
        assert!(matches!(
            ko(403, r#"{"message":"Flood detected #38","status":"KO"}"#),
            Failure::AccountFlood { .. }
        ));
        assert!(matches!(
            ko(403, r#"{"message":"User Locked #223","status":"KO"}"#),
            Failure::UserLocked { .. }
        ));
        assert!(matches!(
            fatal(401, r#"{"message":"Not authenticated #247","status":"KO"}"#),
            ApiError::Auth { .. }
        ));
        assert!(matches!(
            fatal(403, r#"{"message":"No such user #93","status":"KO"}"#),
            ApiError::Auth { .. }
        ));
        assert!(matches!(
            fatal(
                403,
                r#"{"message":"Must be a customer #200","status":"KO"}"#
            ),
            ApiError::NotPremium { .. }
        ));
        assert!(matches!(
            fatal(403, r#"{"message":"IP blocked #186","status":"KO"}"#),
            ApiError::Blocked { .. }
        ));
        assert!(matches!(
            fatal(
                403,
                r#"{"message":"Too many locations #887","status":"KO"}"#
            ),
            ApiError::Blocked { .. }
        ));
        assert!(matches!(
            fatal(
                403,
                r#"{"message":"Only 3 locations allowed","status":"KO"}"#
            ),
            ApiError::Blocked { .. }
        ));
        assert!(matches!(
            fatal(403, r#"{"message":"Residential only #913","status":"KO"}"#),
            ApiError::Blocked { .. }
        ));
        assert!(matches!(
            fatal(403, r#"{"message":"Owner locked","status":"KO"}"#),
            ApiError::Blocked { .. }
        ));
        assert!(matches!(
            fatal(
                404,
                r#"{"message":"Resource not found #469","status":"KO"}"#
            ),
            ApiError::NotFound { .. }
        ));
        assert!(matches!(
            fatal(
                403,
                r#"{"message":"No file has been renamed #312","status":"KO"}"#
            ),
            ApiError::Service { .. }
        ));
    }

    #[test]
    fn http_statuses_decide_without_a_verdict() {
        assert!(matches!(fatal(401, ""), ApiError::Auth { .. }));
        assert!(matches!(
            fatal(404, "<html>gone</html>"),
            ApiError::NotFound { .. }
        ));
        for s in [429, 500, 502, 503, 504, 509] {
            assert!(
                matches!(ko(s, "<html>busy</html>"), Failure::Retry { status, .. } if status == s),
                "{s}"
            );
        }
        // A KO without a known code that came with a 5xx is still worth another try.
        assert!(matches!(
            ko(503, r#"{"status":"KO","message":"maintenance"}"#),
            Failure::Retry { .. }
        ));
        assert!(
            matches!(fatal(400, "bad"), ApiError::Service { ref message } if message == "HTTP 400")
        );
    }

    #[test]
    fn broken_json_is_a_protocol_error() {
        assert!(matches!(
            ko(200, r#"{"status":"OK","items":[{"url":"#),
            Failure::Protocol { .. }
        ));
        assert!(
            matches!(ko(200, "<html>maintenance</html>"), Failure::Protocol { ref detail } if detail.contains("<html>"))
        );
        assert!(matches!(ko(200, ""), Failure::Protocol { .. }));
    }

    #[test]
    fn codes_are_read_from_the_end_of_the_message() {
        assert_eq!(error_code("Flood detected: IP Locked #374"), Some(374));
        assert_eq!(error_code("#12 then #469"), Some(469));
        assert_eq!(error_code("no code # here"), None);
        assert_eq!(error_code("Owner locked"), None);
    }
}
