//! The /v1 listener: what every API call goes through before its endpoint (counting, flood
//! detection, injected 5xx, method, Content-Type, key, JSON body), then dispatch by path; an
//! injected fault may cut the answer's JSON on the way out.

use super::reply::{Ko, cut_json, json_reply, proxy_error};
use super::{Shared, download, endpoints, remote, upload};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{any, get, post};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// Enough for a call naming tens of thousands of files.
const MAX_CALL_BODY: usize = 16 << 20;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/{*endpoint}", any(entry))
        // Outside /v1, so reading them is not itself an API call: for benchmark scripts.
        .route("/sandbox/stats", get(stats))
        .route("/sandbox/stats/reset", post(reset_stats))
        .layer(DefaultBodyLimit::max(MAX_CALL_BODY))
        .with_state(shared)
}

/// Every endpoint the sandbox knows, with the method it wants.
fn expected_method(endpoint: &str) -> Option<Method> {
    match endpoint {
        "upload/get_upload_server.cgi" => Some(Method::GET),
        "user/info.cgi"
        | "folder/ls.cgi"
        | "folder/mkdir.cgi"
        | "folder/rm.cgi"
        | "folder/mv.cgi"
        | "file/ls.cgi"
        | "file/info.cgi"
        | "file/rm.cgi"
        | "file/mv.cgi"
        | "file/cp.cgi"
        | "file/rename.cgi"
        | "download/get_token.cgi"
        | "remote/request.cgi"
        | "remote/ls.cgi"
        | "remote/info.cgi" => Some(Method::POST),
        _ => None,
    }
}

/// The counters as JSON, for scripts driving `fichier-tui sandbox` from outside.
async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let stats = serde_json::to_value(shared.stats.snapshot()).unwrap_or(Value::Null);
    json_reply(StatusCode::OK, &stats, true)
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Response {
    shared.stats.reset();
    json_reply(StatusCode::OK, &serde_json::json!({"status": "OK"}), false)
}

async fn entry(
    State(shared): State<Arc<Shared>>,
    Path(endpoint): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = Instant::now();
    let in_last_second = shared.stats.record_call(&endpoint, now);
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if shared.faults.locked(now) {
        return flood_answer();
    }
    if shared
        .flood_limit
        .is_some_and(|limit| in_last_second > limit)
    {
        shared.faults.lock_until(now + shared.flood_lock);
        shared.stats.update(|s| s.flood_locks += 1);
        return flood_answer();
    }
    if let Some(status) = shared.faults.roll_error() {
        shared.stats.update(|s| s.injected_errors += 1);
        return proxy_error(status);
    }
    let mut pretty = false;
    let answer = call(&shared, &endpoint, &method, &headers, &body, &mut pretty);
    if shared.faults.roll_garbage() {
        let value = match &answer {
            Ok(value) => value.clone(),
            Err(ko) => ko.body(),
        };
        return cut_json(&value);
    }
    match answer {
        Ok(value) => json_reply(StatusCode::OK, &value, pretty),
        Err(ko) => ko.into_response(pretty),
    }
}

fn flood_answer() -> Response {
    Ko::forbidden("Flood detected: IP Locked #374").into_response(false)
}

fn call(
    shared: &Arc<Shared>,
    endpoint: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    pretty: &mut bool,
) -> Result<Value, Ko> {
    let expected = expected_method(endpoint)
        .ok_or_else(|| Ko::new(StatusCode::NOT_FOUND, "Unknown API method"))?;
    if *method != expected {
        return Err(Ko::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method {method} not allowed, use {expected}"),
        ));
    }
    check_content_type(headers)?;
    check_key(headers, &shared.key)?;
    let args = parse_body(body, *method == Method::GET)?;
    *pretty = args.flag("pretty");
    match endpoint {
        "user/info.cgi" => endpoints::user_info(shared, &args),
        "folder/ls.cgi" => endpoints::folder_ls(shared, &args),
        "folder/mkdir.cgi" => endpoints::folder_mkdir(shared, &args),
        "folder/rm.cgi" => endpoints::folder_rm(shared, &args),
        "folder/mv.cgi" => endpoints::folder_mv(shared, &args),
        "file/ls.cgi" => endpoints::file_ls(shared, &args),
        "file/info.cgi" => endpoints::file_info(shared, &args),
        "file/rm.cgi" => endpoints::file_rm(shared, &args),
        "file/mv.cgi" => endpoints::file_mv(shared, &args),
        "file/cp.cgi" => endpoints::file_cp(shared, &args),
        "file/rename.cgi" => endpoints::file_rename(shared, &args),
        "download/get_token.cgi" => download::get_token(shared, &args),
        "upload/get_upload_server.cgi" => Ok(upload::get_upload_server(shared)),
        "remote/request.cgi" => remote::request(shared, &args),
        "remote/ls.cgi" => remote::list(shared),
        "remote/info.cgi" => remote::info(shared, &args),
        _ => Err(Ko::new(StatusCode::NOT_FOUND, "Unknown API method")),
    }
}

/// The service refuses any call, GET included, that does not say its body is JSON.
fn check_content_type(headers: &HeaderMap) -> Result<(), Ko> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(Ko::forbidden("Content-Type must be application/json"))
    }
}

fn check_key(headers: &HeaderMap, key: &str) -> Result<(), Ko> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|key| !key.is_empty());
    match presented {
        None => Err(Ko::new(StatusCode::UNAUTHORIZED, "Not authenticated #247")),
        Some(k) if k == key => Ok(()),
        Some(_) => Err(Ko::forbidden("No such user #93")),
    }
}

/// The call's JSON object. A POST must send one (`{}` at least); the GET may send nothing.
fn parse_body(body: &[u8], may_be_empty: bool) -> Result<Args, Ko> {
    if may_be_empty && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Args(Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Args(map)),
        Ok(_) => Err(Ko::forbidden("Invalid request: a JSON object is expected")),
        Err(_) => Err(Ko::forbidden("Invalid request: malformed JSON")),
    }
}

/// The parameters of a call, read loosely where the service is loose (ids as numbers or digit
/// strings) and strictly where it is strict.
pub(crate) struct Args(Map<String, Value>);

impl Args {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, Ko> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| Ko::invalid(key)),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| Ko::invalid(key)),
            Some(_) => Err(Ko::invalid(key)),
        }
    }

    pub fn required_int(&self, key: &str) -> Result<i64, Ko> {
        self.int(key)?.ok_or_else(|| Ko::missing(key))
    }

    pub fn string(&self, key: &str) -> Result<Option<&str>, Ko> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Ko::invalid(key)),
        }
    }

    pub fn required_string(&self, key: &str) -> Result<&str, Ko> {
        self.string(key)?.ok_or_else(|| Ko::missing(key))
    }

    /// `1`, `true` or `"1"`.
    pub fn flag(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.trim() == "1",
            _ => false,
        }
    }

    /// A non-empty array of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<&str>, Ko> {
        let items = self
            .get(key)
            .ok_or_else(|| Ko::missing(key))?
            .as_array()
            .ok_or_else(|| Ko::invalid(key))?;
        let strings = items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| Ko::invalid(key)))
            .collect::<Result<Vec<_>, _>>()?;
        if strings.is_empty() {
            return Err(Ko::missing(key));
        }
        Ok(strings)
    }

    /// A non-empty array of objects.
    pub fn objects(&self, key: &str) -> Result<Vec<&Map<String, Value>>, Ko> {
        let items = self
            .get(key)
            .ok_or_else(|| Ko::missing(key))?
            .as_array()
            .ok_or_else(|| Ko::invalid(key))?;
        let objects = items
            .iter()
            .map(|v| v.as_object().ok_or_else(|| Ko::invalid(key)))
            .collect::<Result<Vec<_>, _>>()?;
        if objects.is_empty() {
            return Err(Ko::missing(key));
        }
        Ok(objects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn keys_are_checked() {
        let mut h = HeaderMap::new();
        assert_eq!(check_key(&h, "k").unwrap_err().http, 401);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic k"));
        assert_eq!(check_key(&h, "k").unwrap_err().http, 401);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(check_key(&h, "k").unwrap_err().message.ends_with("#93"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer k"));
        assert!(check_key(&h, "k").is_ok());
    }

    #[test]
    fn bodies_are_json_objects() {
        assert!(parse_body(b"", false).is_err());
        assert!(parse_body(b"", true).is_ok());
        assert!(parse_body(b"[1]", false).is_err());
        assert!(parse_body(b"{", false).is_err());
        let args = parse_body(br#"{"a":"7","b":3,"pretty":1,"u":["x"]}"#, false).unwrap();
        assert_eq!(args.int("a").unwrap(), Some(7));
        assert_eq!(args.required_int("b").unwrap(), 3);
        assert!(args.required_int("c").is_err());
        assert!(args.flag("pretty"));
        assert_eq!(args.strings("u").unwrap(), vec!["x"]);
        assert!(args.string("b").is_err());
    }
}
