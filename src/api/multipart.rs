//! The `multipart/form-data` framing of an upload, written by hand so that the body's exact length
//! is known before the first byte goes: the service refuses chunked bodies.

use super::FolderId;
use bytes::Bytes;

/// The text around the file's bytes: `head`, then the file, then `tail`.
#[derive(Debug, Clone)]
pub(crate) struct Framing {
    boundary: String,
    pub(crate) head: Bytes,
    pub(crate) tail: Bytes,
}

impl Framing {
    /// Framing with a fresh random boundary.
    pub(crate) fn new(folder: FolderId, filename: &str) -> Self {
        let random: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(32)
            .collect();
        Self::with_boundary(format!("fichier-tui-{random}"), folder, filename)
    }

    /// The field `did` (destination folder) first, as rclone sends it, then the part `file[]`.
    pub(crate) fn with_boundary(boundary: String, folder: FolderId, filename: &str) -> Self {
        let head = format!(
            "--{boundary}\r\n\
             Content-Disposition: form-data; name=\"did\"\r\n\r\n\
             {folder}\r\n\
             --{boundary}\r\n\
             Content-Disposition: form-data; name=\"file[]\"; filename=\"{}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n",
            escape_filename(filename)
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        Framing {
            boundary,
            head: Bytes::from(head),
            tail: Bytes::from(tail),
        }
    }

    pub(crate) fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The whole body's length for a file of `file_size` bytes.
    pub(crate) fn content_length(&self, file_size: u64) -> u64 {
        self.head.len() as u64 + file_size + self.tail.len() as u64
    }
}

/// A file name inside a quoted header parameter, encoded as browsers do (the WHATWG form rules):
/// UTF-8 as is, but a quote or a line break cannot end the parameter or the header.
fn escape_filename(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_is_exactly_what_is_counted() {
        let f = Framing::with_boundary("XyZ".into(), FolderId(42), "été \"q\".txt");
        let file = b"hello world";
        let mut body = Vec::new();
        body.extend_from_slice(&f.head);
        body.extend_from_slice(file);
        body.extend_from_slice(&f.tail);
        assert_eq!(body.len() as u64, f.content_length(file.len() as u64));
        let text = String::from_utf8(body).unwrap();
        assert_eq!(
            text,
            "--XyZ\r\nContent-Disposition: form-data; name=\"did\"\r\n\r\n42\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file[]\"; filename=\"été %22q%22.txt\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nhello world\r\n--XyZ--\r\n"
        );
        assert_eq!(f.content_type(), "multipart/form-data; boundary=XyZ");
    }

    #[test]
    fn a_name_cannot_break_out_of_its_header() {
        let f = Framing::with_boundary("b".into(), FolderId::ROOT, "a\r\nX-Evil: 1\".txt");
        let head = String::from_utf8(f.head.to_vec()).unwrap();
        assert!(head.contains("filename=\"a%0D%0AX-Evil: 1%22.txt\"\r\n"));
        assert_eq!(head.matches("\r\n").count(), 8);
    }

    #[test]
    fn boundaries_are_random() {
        let a = Framing::new(FolderId(1), "x");
        let b = Framing::new(FolderId(1), "x");
        assert_ne!(a.content_type(), b.content_type());
        assert_eq!(a.content_length(0), b.content_length(0));
    }
}
