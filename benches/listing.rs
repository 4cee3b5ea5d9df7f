//! The pieces under the UI's big folders, each against a reference in the same run:
//! - `local::list_dir` of 100,000 files (read_dir + a stat per entry) and `local::sort_entries`,
//!   against `ls -f | sort` and `ls -l` (which also stats each entry) on the same folder;
//! - the first step of `local::list_in_steps` (names and kinds, no stat: what the UI shows first)
//!   and `local::sort_order` by name, against `ls -f | sort`;
//! - a 50,000-item file/ls.cgi answer parsed straight into `Vec<RemoteFile>` (as the client does
//!   since it stopped building a JSON value first) and through a value (as it did before),
//!   against serde_json parsing the same bytes into a plain value.
//!
//! Run: cargo bench --bench listing

mod common;

use common::{Figure, mean_seconds, ms, print_table};
use criterion::BatchSize;
use fichier_tui::api::RemoteFile;
use fichier_tui::local::{ListStep, SortKey, list_dir, list_in_steps, sort_entries, sort_order};
use serde::Deserialize;
use std::hint::black_box;
use std::process::Command;

const N_LOCAL: usize = 100_000;
const N_REMOTE: usize = 50_000;
const GROUP_LOCAL: &str = "listing_local_100k";
const GROUP_JSON: &str = "listing_json_50k";

#[derive(Deserialize)]
struct Items {
    #[serde(default)]
    items: Vec<RemoteFile>,
}

/// A file/ls.cgi answer shaped like the service's (and the sandbox's), extra fields included.
fn answer(n: usize) -> Vec<u8> {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "url": format!("https://1fichier.com/?{:010x}", i * 2654435761usize % (1 << 40)),
                "filename": format!("holiday photo {i:06} – été.jpg"),
                "size": (i as u64 * 7919) % 5_000_000_000,
                "date": "2026-11-02 10:00:00",
                "checksum": format!("{:0128x}", i),
                "content-type": "image/jpeg",
                "cdn": 0,
                "pass": 0,
                "acl": {"read": 1},
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"status": "OK", "count": n, "items": items}))
        .expect("serializing")
}

fn sh(script: &str, dir: &std::path::Path) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(dir)
        .status()
        .expect("sh runs");
    assert!(status.success(), "{script}");
}

/// The names step of a big folder's listing: what the UI gets before any stat.
fn names_only(dir: &std::path::Path) -> Vec<fichier_tui::local::LocalEntry> {
    let got = std::sync::Mutex::new(Vec::new());
    let stop = std::sync::atomic::AtomicBool::new(false);
    list_in_steps(dir, 0, &stop, &|step| {
        if let ListStep::Names { entries, .. } = step
            && let Ok(mut got) = got.lock()
        {
            *got = entries;
        }
        false // no stats wanted
    })
    .expect("listing");
    got.into_inner().unwrap_or_default()
}

fn main() {
    let folder = tempfile::tempdir().expect("a temp dir");
    eprintln!("making a folder of {N_LOCAL} files...");
    for i in 0..N_LOCAL {
        std::fs::File::create(
            folder
                .path()
                .join(format!("file {:06}.txt", (i * 7919) % N_LOCAL)),
        )
        .expect("creating a file");
    }
    let dir = folder.path();
    let json = answer(N_REMOTE);

    let mut c = common::criterion(10, 5);
    {
        let mut g = c.benchmark_group(GROUP_LOCAL);
        g.bench_function("list_dir", |b| {
            b.iter(|| list_dir(dir).expect("listing").len())
        });
        g.bench_function("names_only", |b| b.iter(|| names_only(dir).len()));
        let names = names_only(dir);
        g.bench_function("sort_order_by_name", |b| {
            b.iter_batched(
                || (0..names.len() as u32).collect::<Vec<u32>>(),
                |mut order| {
                    sort_order(&names, &mut order, SortKey::Name);
                    order
                },
                BatchSize::LargeInput,
            )
        });
        let listed = list_dir(dir).expect("listing");
        g.bench_function("sort_by_name", |b| {
            b.iter_batched(
                || listed.clone(),
                |mut entries| {
                    sort_entries(&mut entries, SortKey::Name);
                    entries
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("ls_f_sort", |b| {
            b.iter(|| sh("ls -f \"$0\" | sort >/dev/null", dir))
        });
        g.bench_function("ls_l", |b| b.iter(|| sh("ls -l \"$0\" >/dev/null", dir)));
        g.finish();
    }
    {
        let mut g = c.benchmark_group(GROUP_JSON);
        g.bench_function("client_parse", |b| {
            b.iter(|| {
                // As Client::call did before: a value first (to read the status), then the type.
                let value: serde_json::Value =
                    serde_json::from_slice(black_box(&json)).expect("json");
                let items: Items = serde_json::from_value(value).expect("items");
                items.items.len()
            })
        });
        g.bench_function("direct_parse", |b| {
            b.iter(|| {
                let items: Items = serde_json::from_slice(black_box(&json)).expect("items");
                items.items.len()
            })
        });
        g.bench_function("value_parse", |b| {
            b.iter(|| {
                let value: serde_json::Value =
                    serde_json::from_slice(black_box(&json)).expect("json");
                value
            })
        });
        g.finish();
    }
    c.final_summary();

    let get = |g: &str, id: &str| mean_seconds(g, id).unwrap_or(f64::NAN);
    let (list, sort, lsf, lsl) = (
        get(GROUP_LOCAL, "list_dir"),
        get(GROUP_LOCAL, "sort_by_name"),
        get(GROUP_LOCAL, "ls_f_sort"),
        get(GROUP_LOCAL, "ls_l"),
    );
    let (names, order) = (
        get(GROUP_LOCAL, "names_only"),
        get(GROUP_LOCAL, "sort_order_by_name"),
    );
    let (client, direct, value) = (
        get(GROUP_JSON, "client_parse"),
        get(GROUP_JSON, "direct_parse"),
        get(GROUP_JSON, "value_parse"),
    );
    print_table(
        "listing (ratio = ours / reference)",
        &[
            Figure {
                what: format!("list_dir {N_LOCAL} (stat each) vs ls -l"),
                ours: ms(list),
                reference: format!("ls -l {}", ms(lsl)),
                ratio: format!("{:.2}", list / lsl),
                goal: "-".into(),
            },
            Figure {
                what: format!("list_dir + sort {N_LOCAL} vs ls -f|sort"),
                ours: ms(list + sort),
                reference: format!("ls -f|sort {}", ms(lsf)),
                ratio: format!("{:.2}", (list + sort) / lsf),
                goal: "(part of < 150 ms)".into(),
            },
            Figure {
                what: format!("names step {N_LOCAL} (no stat, sorted) + pane sort vs ls -f|sort"),
                ours: format!("{} + {}", ms(names), ms(order)),
                reference: format!("ls -f|sort {}", ms(lsf)),
                ratio: format!("{:.2}", (names + order) / lsf),
                goal: "(part of < 150 ms)".into(),
            },
            Figure {
                what: format!(
                    "file/ls.cgi {N_REMOTE} items, {} KiB: through a Value (old client)",
                    json.len() / 1024
                ),
                ours: ms(client),
                reference: format!("to Value {}", ms(value)),
                ratio: format!("{:.2}", client / value),
                goal: "(part of < 200 ms)".into(),
            },
            Figure {
                what: "  same, straight into Vec<RemoteFile> (client now)".into(),
                ours: ms(direct),
                reference: format!("to Value {}", ms(value)),
                ratio: format!("{:.2}", direct / value),
                goal: "-".into(),
            },
        ],
    );
}
