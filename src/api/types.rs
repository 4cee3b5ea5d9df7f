//! The data the 1fichier API returns, typed, and tolerant as the contract asks: unknown fields are
//! ignored, lists may be absent, numbers may come as strings and flags as `0`/`1`/`"1"`/`true`.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A folder's id. The root is `0`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct FolderId(pub u64);

impl FolderId {
    pub const ROOT: FolderId = FolderId(0);
}

impl fmt::Display for FolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A file is known by its URL (`https://1fichier.com/?abc123`), never by a numeric id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileUrl(pub String);

impl FileUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The account, from `user/info.cgi`. Every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "loose::offer")]
    pub offer: Option<Offer>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub subscription_end: Option<String>,
    /// Bytes used in hot storage.
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub hot_storage: Option<u64>,
    /// Bytes used in cold storage: what the status bar calls "used".
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub cold_storage: Option<u64>,
    /// The cold storage quota in bytes (rclone's `about` total).
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub available_cold_storage: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub allowed_cold_storage: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub available_storage: Option<u64>,
    #[serde(default, deserialize_with = "loose::flag")]
    pub overquota: bool,
    #[serde(default, deserialize_with = "loose::flag")]
    pub upload_forbidden: bool,
}

impl AccountInfo {
    /// Used and total bytes as the status bar shows them.
    pub fn usage(&self) -> (Option<u64>, Option<u64>) {
        let total = self.available_cold_storage.or(self.allowed_cold_storage);
        (self.cold_storage, total)
    }
}

/// The account's offer: a name, or a number (0 free, 1 Premium, 2 Access, 3 GOLD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Offer {
    Free,
    Premium,
    Access,
    Gold,
    Other(String),
}

impl Offer {
    pub fn from_code(n: i64) -> Offer {
        match n {
            0 => Offer::Free,
            1 => Offer::Premium,
            2 => Offer::Access,
            3 => Offer::Gold,
            n => Offer::Other(n.to_string()),
        }
    }
    pub fn from_text(s: &str) -> Offer {
        match s.trim().to_ascii_lowercase().as_str() {
            "0" | "free" => Offer::Free,
            "1" | "premium" => Offer::Premium,
            "2" | "access" => Offer::Access,
            "3" | "gold" => Offer::Gold,
            _ => Offer::Other(s.to_string()),
        }
    }
}

impl fmt::Display for Offer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Offer::Free => f.write_str("Free"),
            Offer::Premium => f.write_str("Premium"),
            Offer::Access => f.write_str("Access"),
            Offer::Gold => f.write_str("GOLD"),
            Offer::Other(s) => f.write_str(s),
        }
    }
}

/// A sub-folder as `folder/ls.cgi` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubFolder {
    #[serde(deserialize_with = "loose::folder_id")]
    pub id: FolderId,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub create_date: Option<String>,
    #[serde(default, deserialize_with = "loose::flag")]
    pub pass: bool,
}

/// A folder's own name and its sub-folders (not its files: see `file/ls.cgi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FolderListing {
    #[serde(default, deserialize_with = "loose::folder_id")]
    pub folder_id: FolderId,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "loose::list")]
    pub sub_folders: Vec<SubFolder>,
}

/// A file as `file/ls.cgi` and `file/info.cgi` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFile {
    pub url: FileUrl,
    #[serde(default)]
    pub filename: String,
    #[serde(default, deserialize_with = "loose::u64_or_zero")]
    pub size: u64,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub date: Option<String>,
    /// Whirlpool, lowercase hex, when the service gives it.
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub checksum: Option<String>,
    #[serde(
        default,
        rename = "content-type",
        deserialize_with = "loose::opt_string"
    )]
    pub content_type: Option<String>,
    #[serde(default, deserialize_with = "loose::flag")]
    pub cdn: bool,
    #[serde(default, deserialize_with = "loose::flag")]
    pub pass: bool,
}

/// What `end.pl` says of a finished upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub url: FileUrl,
    pub filename: String,
    pub size: u64,
    /// The service's whirlpool of what it received.
    pub whirlpool: Option<String>,
}

/// A remote-upload job as `remote/ls.cgi` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteJob {
    #[serde(deserialize_with = "loose::u64_or_zero")]
    pub id: u64,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub request_date: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub execution_date: Option<String>,
}

impl RemoteJob {
    /// `1970-01-01 ...` means the service has not run the job yet.
    pub fn has_run(&self) -> bool {
        self.execution_date
            .as_deref()
            .is_some_and(|d| !d.starts_with("1970"))
    }
}

/// One URL's outcome in a remote-upload job (`remote/info.cgi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RemoteJobResult {
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub download_link: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub message: Option<String>,
}

/// Deserializers for the loosely typed fields the service sends.
pub(crate) mod loose {
    use super::*;
    use serde_json::Value;

    fn value_u64(v: &Value) -> Option<u64> {
        match v {
            Value::Number(n) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
            Value::String(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(*b as u64),
            _ => None,
        }
    }

    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(Option::<Value>::deserialize(d)?
            .as_ref()
            .and_then(value_u64))
    }

    pub fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        Ok(opt_u64(d)?.unwrap_or(0))
    }

    pub fn folder_id<'de, D: Deserializer<'de>>(d: D) -> Result<FolderId, D::Error> {
        Ok(FolderId(u64_or_zero(d)?))
    }

    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Bool(b)) => b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => {
                let s = s.trim();
                !(s.is_empty() || s == "0" || s.eq_ignore_ascii_case("false"))
            }
            _ => false,
        })
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        })
    }

    pub fn offer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Offer>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Number(n)) => n.as_i64().map(Offer::from_code),
            Some(Value::String(s)) if !s.trim().is_empty() => Some(Offer::from_text(&s)),
            _ => None,
        })
    }

    /// A list that may be absent, `null`, or (seen on some services) an empty object.
    /// Items are read straight from the input: a file/ls.cgi answer holds tens of thousands, and
    /// a copy into a JSON value first cost more than the parse itself (benches/ui.rs).
    pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: serde::de::DeserializeOwned,
    {
        d.deserialize_any(ListVisitor(std::marker::PhantomData))
    }

    struct ListVisitor<T>(std::marker::PhantomData<T>);

    impl<'de, T: serde::de::DeserializeOwned> serde::de::Visitor<'de> for ListVisitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }

        // Anything that is not an array is an empty list, as before.
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_none<E>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_unit<E>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_bool<E>(self, _: bool) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_i64<E>(self, _: i64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_u64<E>(self, _: u64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_f64<E>(self, _: f64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_str<E>(self, _: &str) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_accepts_strings_numbers_and_gaps() {
        let a: AccountInfo = serde_json::from_str(
            r#"{"email":"a@b.c","offer":1,"cold_storage":"1024","available_cold_storage":2048,
                "upload_forbidden":"1","new_field":[1,2],"status":"OK"}"#,
        )
        .unwrap();
        assert_eq!(a.offer, Some(Offer::Premium));
        assert_eq!(a.usage(), (Some(1024), Some(2048)));
        assert!(a.upload_forbidden);
        let empty: AccountInfo = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AccountInfo::default());
    }

    #[test]
    fn listing_without_sub_folders_is_empty() {
        let l: FolderListing =
            serde_json::from_str(r#"{"folder_id":"12","name":"x","status":"OK"}"#).unwrap();
        assert_eq!(l.folder_id, FolderId(12));
        assert!(l.sub_folders.is_empty());
    }

    #[test]
    fn lists_may_be_missing_null_objects_or_scalars() {
        #[derive(Deserialize)]
        struct L {
            #[serde(default, deserialize_with = "loose::list")]
            items: Vec<SubFolder>,
        }
        for (text, n) in [
            (r#"{}"#, 0),
            (r#"{"items":null}"#, 0),
            (r#"{"items":{}}"#, 0),
            (r#"{"items":{"a":[1,{"b":2}]}}"#, 0),
            (r#"{"items":"none"}"#, 0),
            (r#"{"items":3}"#, 0),
            (
                r#"{"items":[{"id":1,"name":"a"},{"id":"2","name":"b","x":[]}]}"#,
                2,
            ),
        ] {
            let l: L = serde_json::from_str(text).unwrap();
            assert_eq!(l.items.len(), n, "{text}");
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            let l: L = serde_json::from_value(v).unwrap();
            assert_eq!(l.items.len(), n, "{text} as a value");
        }
        let bad: Result<L, _> = serde_json::from_str(r#"{"items":[{"id":1,"name":"a"},7]}"#);
        assert!(
            bad.is_err(),
            "an item of the wrong shape is an error, as before"
        );
    }

    #[test]
    fn file_sizes_may_be_strings() {
        let f: RemoteFile = serde_json::from_str(
            r#"{"url":"https://1fichier.com/?a","filename":"n","size":"42","cdn":"0","pass":1,"acl":{}}"#,
        )
        .unwrap();
        assert_eq!(f.size, 42);
        assert!(f.pass);
        assert!(!f.cdn);
    }
}
