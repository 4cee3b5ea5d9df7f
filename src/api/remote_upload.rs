//! Remote upload: the service fetches URLs into a folder. Less documented than the rest of the API,
//! so answers are read loosely and the service's own words are kept.

use super::classify::get_ci;
use super::http::Endpoint;
use super::types::loose;
use super::{ApiError, Client, FolderId, RemoteJob, RemoteJobResult, Result};
use serde::Deserialize;
use serde_json::{Value, json};

const REQUEST: Endpoint = Endpoint::write("remote/request.cgi");
const LS: Endpoint = Endpoint::read("remote/ls.cgi");
const INFO: Endpoint = Endpoint::read("remote/info.cgi");

#[derive(Deserialize)]
struct Requested {
    #[serde(default, deserialize_with = "loose::opt_u64")]
    id: Option<u64>,
}

#[derive(Deserialize)]
struct Jobs {
    #[serde(default, deserialize_with = "loose::list")]
    data: Vec<RemoteJob>,
}

/// The `result` list of a job, wherever the answer puts it: at the top, or inside `data` (an
/// object, or a list holding the job).
fn job_results(answer: &Value) -> Vec<RemoteJobResult> {
    let from = |v: &Value| -> Option<Vec<RemoteJobResult>> {
        let list = get_ci(v.as_object()?, "result")?.as_array()?;
        Some(
            list.iter()
                .filter_map(|r| serde_json::from_value(r.clone()).ok())
                .collect(),
        )
    };
    let data = answer.as_object().and_then(|m| get_ci(m, "data"));
    from(answer)
        .or_else(|| data.and_then(from))
        .or_else(|| {
            data.and_then(Value::as_array)
                .and_then(|l| l.iter().find_map(from))
        })
        .unwrap_or_default()
}

impl Client {
    /// Asks the service to fetch `urls` into `folder`; returns the job's id.
    pub async fn remote_request(&self, urls: &[String], folder: FolderId) -> Result<u64> {
        if urls.is_empty() {
            return Err(ApiError::Invalid(
                "a remote upload needs at least one URL".into(),
            ));
        }
        let answer: Requested = self
            .call(REQUEST, json!({ "urls": urls, "folder_id": folder }))
            .await?;
        answer.id.ok_or_else(|| ApiError::Protocol {
            detail: "remote/request.cgi did not say the job's id".into(),
        })
    }

    /// Every remote-upload job of the account (poll slowly: every 30-60 s).
    pub async fn remote_ls(&self) -> Result<Vec<RemoteJob>> {
        let jobs: Jobs = self.call(LS, json!({})).await?;
        Ok(jobs.data)
    }

    /// One entry per URL of the job; empty until the job has run.
    pub async fn remote_info(&self, job: u64) -> Result<Vec<RemoteJobResult>> {
        let answer = self.call_value(INFO, &json!({ "id": job })).await?;
        Ok(job_results(&answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_found_wherever_they_are() {
        let top = json!({"status":"OK","id":3,"result":[{"status":"OK","url":"https://a","download_link":"https://1fichier.com/?x"}]});
        let r = job_results(&top);
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].download_link.as_deref(),
            Some("https://1fichier.com/?x")
        );
        let nested = json!({"Status":"OK","data":{"id":3,"result":[{"url":"https://b","message":"404 at source"}]}});
        assert_eq!(
            job_results(&nested)[0].message.as_deref(),
            Some("404 at source")
        );
        let listed = json!({"status":"OK","data":[{"id":3,"result":[{"url":"https://c"}]}]});
        assert_eq!(job_results(&listed)[0].url.as_deref(), Some("https://c"));
        assert!(job_results(&json!({"status":"OK","data":{"id":3}})).is_empty());
    }

    #[test]
    fn jobs_parse_loosely() {
        let jobs: Jobs = serde_json::from_value(json!({"status":"OK","data":[
            {"id":"7","request_date":"2024-01-02 03:04:05","execution_date":"1970-01-01 01:00:00"},
            {"id":8,"execution_date":"2024-01-02 03:05:00","extra":true}]}))
        .unwrap();
        assert_eq!(jobs.data.len(), 2);
        assert_eq!(jobs.data[0].id, 7);
        assert!(!jobs.data[0].has_run());
        assert!(jobs.data[1].has_run());
        let none: Jobs = serde_json::from_value(json!({"status":"OK"})).unwrap();
        assert!(none.data.is_empty());
    }
}
