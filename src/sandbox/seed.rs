//! The demo account: nested folders, a folder of 10,000 files, a few big files, and names meant
//! to break a careless client (escape sequences, control characters, bidi overrides, paths,
//! 255 bytes, wide characters). Bodies are generated, not written, so seeding takes milliseconds.

use super::body::StoredBody;
use super::remote::seeded_job;
use super::store::{ROOT, Store};
use super::util::{days_from_civil, paris_date};
use serde_json::json;
use std::sync::Arc;

const MIB: u64 = 1 << 20;

/// How many files "/Big folder" holds.
pub(crate) const BIG_FOLDER_FILES: usize = 10_000;

/// The names a client must show safely and keep exactly.
pub(crate) fn hostile_names() -> Vec<String> {
    let long = format!("long-{}.txt", "x".repeat(255 - 5 - 4));
    vec![
        "../../etc/passwd".into(),
        "/abs".into(),
        "\x1b[31mred\x1b[0m.txt".into(),
        "\x1b]0;pwned\x07title.txt".into(),
        "\x1b[2J\x1b[Hclear screen.txt".into(),
        "bell\x07ring.txt".into(),
        "carriage\rreturn.txt".into(),
        "new\nline.txt".into(),
        "tab\there.txt".into(),
        "c1 csi\u{9b}31m.txt".into(),
        "invoice\u{202E}fdp.exe".into(),
        long,
        "日本語のファイル.txt".into(),
        "🎉 party 🎉.png".into(),
        " leading space.txt".into(),
        "\u{2420}leading symbol.txt".into(),
        "full\u{FF02}width\u{FF1C}look\u{FF1E}alikes\u{FF04}5\u{FF0F}a\u{FF3C}b.txt".into(),
        "ｗｉｄｅ　ｔｅｘｔ.txt".into(),
        "e\u{301}te\u{301} combining.txt".into(),
        "zero\u{200B}width.txt".into(),
    ]
}

/// A stable date in 2024, `minutes` after the first of January.
fn date(minutes: i64) -> String {
    paris_date(days_from_civil(2024, 1, 1) * 86_400 + 9 * 3600 + minutes * 60)
}

fn text(content: String) -> Arc<StoredBody> {
    StoredBody::memory(content.into_bytes())
}

fn folder(store: &mut Store, parent: u64, name: &str, minutes: i64) -> u64 {
    store
        .insert_folder(parent, name, date(minutes))
        .unwrap_or(ROOT)
}

fn file(store: &mut Store, folder: u64, name: &str, body: Arc<StoredBody>, minutes: i64) {
    store.insert_file(folder, name, body, date(minutes));
}

/// Fills an empty store with the demo account.
pub(crate) fn load(store: &mut Store) {
    let backups = folder(store, ROOT, "Backups", 1);
    let nas = folder(store, backups, "nas", 2);
    let nas_2024 = folder(store, nas, "2024", 3);
    let nas_2025 = folder(store, nas, "2025", 4);
    let laptop = folder(store, backups, "laptop", 5);
    let photos = folder(store, ROOT, "Photos 2024", 6);
    let documents = folder(store, ROOT, "Documents", 7);
    let docs_2024 = folder(store, documents, "2024", 8);
    let taxes = folder(store, docs_2024, "taxes", 9);
    let big = folder(store, ROOT, "Big folder", 10);
    let videos = folder(store, ROOT, "Videos", 11);
    let strange = folder(store, ROOT, "Strange names", 12);
    folder(store, ROOT, "Empty", 13);

    file(
        store,
        ROOT,
        "README.txt",
        text("Welcome to the fichier-tui demo. Nothing here is real.\n".into()),
        20,
    );
    file(
        store,
        nas_2025,
        "nas-full-2025-06.tar",
        StoredBody::generated(1, 512 * MIB),
        30,
    );
    file(
        store,
        nas_2025,
        "nas-incr-2025-07.tar.gz",
        StoredBody::generated(2, 3 * MIB + 123),
        31,
    );
    file(
        store,
        nas_2024,
        "nas-full-2024-12.tar",
        StoredBody::generated(3, 5 * MIB),
        32,
    );
    file(
        store,
        laptop,
        "home.tar.gz",
        StoredBody::generated(4, 8 * MIB + 7),
        33,
    );
    file(
        store,
        videos,
        "holiday.mkv",
        StoredBody::generated(5, 64 * MIB),
        34,
    );
    for i in 1..=40u64 {
        let len = 150_000 + (i * 73_331) % 2_800_000;
        let name = format!("IMG_{i:04}.jpg");
        file(
            store,
            photos,
            &name,
            StoredBody::generated(100 + i, len),
            40 + i as i64,
        );
    }
    file(
        store,
        taxes,
        "tax-return-2024.pdf",
        StoredBody::generated(200, 412_345),
        90,
    );
    file(
        store,
        taxes,
        "receipts.zip",
        StoredBody::generated(201, 2 * MIB + 99),
        91,
    );
    for (i, version) in ["draft", "reviewed", "final"].iter().enumerate() {
        let body = text(format!("Quarterly report, {version} version.\n"));
        file(store, documents, "report.pdf", body, 95 + i as i64);
    }
    file(
        store,
        documents,
        "notes.txt",
        text("Buy milk.\n".into()),
        99,
    );

    for i in 0..BIG_FOLDER_FILES as u64 {
        let len = 64 + (i * 7919) % 4000;
        let name = format!("file-{:05}.dat", i + 1);
        file(
            store,
            big,
            &name,
            StoredBody::generated(10_000 + i, len),
            200 + i as i64,
        );
    }

    for (i, name) in hostile_names().iter().enumerate() {
        let body = text(format!("This file's name is {name:?}.\n"));
        file(store, strange, name, body, 300 + i as i64);
    }
    for i in 0..3 {
        let body = text(format!(
            "Copy number {} of a name used three times.\n",
            i + 1
        ));
        file(store, strange, "same name.txt", body, 330 + i);
    }
    file(
        store,
        ROOT,
        "\x1b[31mred\x1b[0m.txt",
        text("red\n".into()),
        21,
    );
    for name in [
        "\x1b[2J\x1b[Hclear",
        "../..",
        "日本語フォルダ",
        "🎉",
        "bidi\u{202E}redlof",
    ] {
        folder(store, strange, name, 14);
    }

    let job = seeded_job(
        videos,
        date(500),
        vec![json!({
            "status": "KO",
            "url": "https://example.com/big.iso",
            "download_link": "",
            "message": "URL not allowed",
        })],
    );
    let id = store.next_job;
    store.next_job += 1;
    store.jobs.insert(id, job);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_account_has_its_folders_and_names() {
        let mut store = Store::new(fastrand::Rng::with_seed(7));
        load(&mut store);
        let big = store.find_folder("/Big folder").unwrap();
        assert_eq!(store.list_names(big).1.len(), BIG_FOLDER_FILES);
        assert!(store.find_folder("/Backups/nas/2025").is_some());
        assert!(store.find_folder("/Documents/2024/taxes").is_some());
        let strange = store.find_folder("/Strange names").unwrap();
        let names = store.list_names(strange).1;
        for hostile in hostile_names() {
            assert!(names.contains(&hostile), "{hostile:?}");
        }
        assert_eq!(names.iter().filter(|n| *n == "same name.txt").count(), 3);
        assert!(hostile_names().iter().any(|n| n.len() == 255));
    }
}
