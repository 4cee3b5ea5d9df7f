//! Paths in the journal. serde writes a `PathBuf` as a string and refuses one that is not UTF-8,
//! which a Unix file name may well be; such a path travels as `{"bytes": "<hex>"}` instead, so the
//! queue can always be saved and comes back byte for byte.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    Bytes { bytes: String },
}

pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    match path.to_str() {
        Some(text) => Repr::Text(text.to_owned()),
        None => Repr::Bytes {
            bytes: hex::encode(raw_bytes(path)),
        },
    }
    .serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    match Repr::deserialize(d)? {
        Repr::Text(text) => Ok(PathBuf::from(text)),
        Repr::Bytes { bytes } => {
            let raw = hex::decode(bytes).map_err(serde::de::Error::custom)?;
            from_raw_bytes(raw).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(unix)]
fn raw_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn raw_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn from_raw_bytes(raw: Vec<u8>) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(raw)))
}

#[cfg(not(unix))]
fn from_raw_bytes(raw: Vec<u8>) -> Result<PathBuf, String> {
    String::from_utf8(raw)
        .map(PathBuf::from)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder {
        #[serde(with = "super")]
        p: PathBuf,
    }

    #[test]
    fn utf8_paths_are_plain_strings() {
        let h = Holder {
            p: PathBuf::from("/tmp/日本.txt"),
        };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"p":"/tmp/日本.txt"}"#);
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), h);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip() {
        use std::os::unix::ffi::OsStrExt;
        let raw = b"/tmp/caf\xe9.txt";
        let h = Holder {
            p: PathBuf::from(std::ffi::OsStr::from_bytes(raw)),
        };
        let json = serde_json::to_string(&h).unwrap();
        assert!(json.contains("bytes"), "{json}");
        let back: Holder = serde_json::from_str(&json).unwrap();
        assert_eq!(back.p.as_os_str().as_bytes(), raw);
    }
}
