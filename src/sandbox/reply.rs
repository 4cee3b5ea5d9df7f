//! How the sandbox answers: JSON bodies (compact or `pretty`), the service's KO bodies with their
//! `#code`, and the HTML or empty pages that proxies send with a 5xx.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A refusal: the HTTP status and the message of a `{"status":"KO"}` body.
#[derive(Debug, Clone)]
pub(crate) struct Ko {
    pub http: StatusCode,
    pub message: String,
}

impl Ko {
    pub fn new(http: StatusCode, message: impl Into<String>) -> Self {
        Ko {
            http,
            message: message.into(),
        }
    }

    /// The usual refusal: HTTP 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// `#469`: no such folder, file, token or job (or not this account's).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Resource not found #469")
    }

    /// `#312`: the rename did not happen.
    pub fn not_renamed() -> Self {
        Self::forbidden("No file has been renamed #312")
    }

    pub fn missing(param: &str) -> Self {
        Self::forbidden(format!("Missing parameter {param}"))
    }

    pub fn invalid(param: &str) -> Self {
        Self::forbidden(format!("Invalid parameter {param}"))
    }

    /// The KO body.
    pub fn body(&self) -> Value {
        json!({"status": "KO", "message": self.message})
    }

    pub fn into_response(self, pretty: bool) -> Response {
        json_reply(self.http, &self.body(), pretty)
    }
}

/// A JSON answer, indented when the call asked for `"pretty": 1`.
pub(crate) fn json_reply(status: StatusCode, value: &Value, pretty: bool) -> Response {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An answer cut halfway through its JSON, with HTTP 200 and an honest Content-Length for what
/// is sent: the client must see a malformed body, not a network error.
pub(crate) fn cut_json(value: &Value) -> Response {
    let mut text = serde_json::to_string(value).unwrap_or_default();
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A 5xx as a proxy in front of the service sends it: an HTML page or nothing at all.
pub(crate) fn proxy_error(status: StatusCode) -> Response {
    if fastrand::bool() {
        return status.into_response();
    }
    let reason = status.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        code = status.as_u16()
    );
    let mut response = (status, page).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// A plain HTML page, for the non-API listener's answers to browsers and errors.
pub(crate) fn html_page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>{body_html}</body></html>\n",
        crate::sandbox::util::html_escape(title)
    );
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
