//! The account: `user/info.cgi`, which the service limits far below the other calls (`#38`).

use super::http::Endpoint;
use super::{AccountInfo, ApiError, Client, Result};
use crate::units::clock;
use serde_json::json;
use tokio::time::Instant;

const USER_INFO: Endpoint = Endpoint::read("user/info.cgi");

impl Client {
    /// The account's state. The service allows about one call a minute; call it at start, after
    /// transfers or when the user asks, never on a fast timer.
    ///
    /// Callers asking at the same time share one call. After a `#38` answer this returns
    /// `ApiError::Flood` (with `retry_after`) for 60 s without calling the service again: the
    /// caller keeps showing the last values it has.
    pub async fn user_info(&self) -> Result<AccountInfo> {
        let asked = Instant::now();
        self.account_held()?;
        let mut last = self.inner.account_last.lock().await;
        // A call that ended while we queued answered our question too.
        if let Some((at, info)) = &*last
            && *at >= asked
        {
            return Ok(info.clone());
        }
        // The call ahead of us may have met `#38`.
        self.account_held()?;
        let info: AccountInfo = self.call(USER_INFO, json!({})).await?;
        *last = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    /// `ApiError::Flood` while a `#38` holds `user/info.cgi` back.
    fn account_held(&self) -> Result<()> {
        let gate = *self.inner.account_gate();
        if let Some(until) = gate {
            let now = Instant::now();
            if until > now {
                let left = until - now;
                return Err(ApiError::Flood {
                    message: format!(
                        "account details were asked for too often (#38); next try in {}",
                        clock(left)
                    ),
                    wait: Some(left),
                });
            }
        }
        Ok(())
    }
}
