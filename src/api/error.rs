//! What can go wrong talking to 1fichier, in words a user can act on.

use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    /// `#247`, `#93`, 401: no key, or a key the service does not know.
    #[error(
        "the API key was refused ({message}): check FICHIER_API_KEY or api_key in the config file"
    )]
    Auth { message: String },
    /// `#200`: the API is for premium accounts only.
    #[error("the API needs a premium account ({message})")]
    NotPremium { message: String },
    /// `#186`, "Owner locked", `#887`, `#913`: the account or IP cannot use the service now.
    #[error("1fichier refused this account or address: {message}")]
    Blocked { message: String },
    /// `#374`, `#412`, `#38`, `#223`, 429 when retries ran out.
    #[error("1fichier is rate limiting this client ({message}); try again in a few minutes")]
    Flood { message: String },
    /// `#469`, 404.
    #[error("not found on 1fichier: {message}")]
    NotFound { message: String },
    /// Any other KO answer, with the service's own words.
    #[error("1fichier said: {message}")]
    Service { message: String },
    /// 5xx after the retries ran out.
    #[error("1fichier is having trouble (HTTP {status}) after {attempts} tries; try again later")]
    Server { status: u16, attempts: u32 },
    /// Connection refused, reset, timed out, after the retries ran out.
    #[error("cannot reach 1fichier ({detail}); check the network")]
    Network { detail: String },
    /// The answer was not what the contract describes.
    #[error("1fichier sent an answer this client does not understand ({detail})")]
    Protocol { detail: String },
    /// A local file or disk problem during an upload or download.
    #[error("{path}: {source}")]
    Local {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Something the caller asked for is not possible (empty file, bad name, ...).
    #[error("{0}")]
    Invalid(String),
    /// A transfer was cancelled by its owner.
    #[error("cancelled")]
    Cancelled,
    /// The base URL is not HTTPS and not loopback.
    #[error("refusing {url}: the API URL must use https (plain http is allowed only on loopback)")]
    InsecureUrl { url: String },
}

impl ApiError {
    /// Worth another try after a pause: floods, 5xx and the network.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Flood { .. } | ApiError::Server { .. } | ApiError::Network { .. }
        )
    }

    /// How long the service asked us to stay away, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        None
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;
