//! The account, folder and file endpoints: each reads its parameters, applies the change to the
//! store under its lock, and builds the JSON the service would send.

use super::Shared;
use super::api::Args;
use super::reply::Ko;
use super::store::{FileEntry, ROOT, Store};
use super::util::{self, name_problem};
use serde_json::{Value, json};
use std::time::Instant;

/// `folder/ls.cgi` with `"files": 1` lists at most this many files, as the service caps it.
const FOLDER_LS_FILE_CAP: usize = 5000;

/// A file as the listings describe it. The checksum is left out while it is being computed.
pub(crate) fn file_json(file: &FileEntry) -> Value {
    let mut item = json!({
        "url": file.url(),
        "filename": file.name,
        "size": file.body.len,
        "date": file.date,
        "content-type": util::content_type(&file.name),
        "cdn": 0,
        "pass": 0,
        "acl": 0,
    });
    if let Some(sum) = file.body.checksum() {
        item["checksum"] = json!(sum);
    }
    item
}

pub(crate) fn user_info(shared: &Shared, _args: &Args) -> Result<Value, Ko> {
    let mut store = shared.store();
    let now = Instant::now();
    let too_soon = store
        .last_user_info
        .is_some_and(|last| now.duration_since(last) < shared.user_info_interval);
    if too_soon {
        return Err(Ko::forbidden(
            "Flood detected: user/info called too often, wait a minute #38",
        ));
    }
    store.last_user_info = Some(now);
    let used = store.used_bytes();
    let quota = shared.quota;
    let over = used > quota;
    let year = 365 * 86_400;
    Ok(json!({
        "email": shared.email,
        "offer": 1,
        "subscription_end": util::paris_date(util::unix_now() + year),
        "hot_storage": 0,
        "cold_storage": used,
        "available_cold_storage": quota,
        "allowed_cold_storage": quota,
        "default_cold_storage_quota": quota,
        "default_quota": quota,
        "available_storage": quota.saturating_sub(used),
        "overquota": u8::from(over),
        "upload_forbidden": if over { "1" } else { "0" },
        "use_cdn": 0,
        "cdn": 0,
        "2fa": 0,
        "stats_date": util::now_date(),
        "page_limit": 1000,
        "ftp_did": 0,
        "ftp_mode": 0,
        "mail_rm": 0,
        "default_domain": 0,
        "default_port": 0,
        "default_port_files": 0,
        "download_menu": 0,
        "ftp_report": 0,
        "ru_report": 0,
        "status": "OK",
    }))
}

pub(crate) fn folder_ls(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let store = shared.store();
    let id = store.existing_folder(args.int("folder_id")?.unwrap_or(0))?;
    let folder = store.folder(id).ok_or_else(Ko::not_found)?;
    let subs: Vec<Value> = folder
        .subfolders
        .iter()
        .filter_map(|sub| store.folder(*sub).map(|f| (sub, f)))
        .map(|(sub, f)| json!({"id": sub, "name": f.name, "create_date": f.created, "pass": 0}))
        .collect();
    let mut answer = json!({"folder_id": id, "name": folder.name, "status": "OK"});
    if !subs.is_empty() {
        answer["sub_folders"] = Value::Array(subs);
    }
    if args.flag("files") {
        let files: Vec<Value> = store
            .files_in(id)
            .take(FOLDER_LS_FILE_CAP)
            .map(file_json)
            .collect();
        if !files.is_empty() {
            answer["files"] = Value::Array(files);
        }
    }
    Ok(answer)
}

pub(crate) fn folder_mkdir(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let name = args.required_string("name")?;
    let parent = args.int("folder_id")?.unwrap_or(0);
    let id = shared.store().mkdir(parent, name)?;
    Ok(json!({"name": name, "folder_id": id, "status": "OK"}))
}

pub(crate) fn folder_rm(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let id = args.required_int("folder_id")?;
    shared.store().rmdir(id)?;
    Ok(json!({"status": "OK"}))
}

pub(crate) fn folder_mv(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let id = args.required_int("folder_id")?;
    let dest = args.required_int("destination_folder_id")?;
    let rename = args.string("rename")?.filter(|r| !r.is_empty());
    shared.store().move_folder(id, dest, rename)?;
    Ok(json!({"status": "OK"}))
}

pub(crate) fn file_ls(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let store = shared.store();
    let wanted = args.int("folder_id")?.unwrap_or(0);
    let items: Vec<Value> = if wanted == -1 {
        store.all_files().into_iter().map(file_json).collect()
    } else {
        let id = store.existing_folder(wanted)?;
        store.files_in(id).map(file_json).collect()
    };
    let mut answer = json!({"count": items.len(), "status": "OK"});
    if !items.is_empty() {
        answer["items"] = Value::Array(items);
    }
    Ok(answer)
}

pub(crate) fn file_info(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let store = shared.store();
    let file = store.file_by_url(args.required_string("url")?)?;
    let mut answer = file_json(file);
    answer["folder_id"] = json!(file.folder);
    answer["description"] = json!("");
    answer["status"] = json!("OK");
    Ok(answer)
}

/// The ids of the files the URLs name, `#469` if any names none.
fn file_ids(store: &Store, urls: &[&str]) -> Result<Vec<String>, Ko> {
    urls.iter()
        .map(|url| store.file_by_url(url).map(|f| f.id.clone()))
        .collect()
}

pub(crate) fn file_rm(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let entries = args.objects("files")?;
    let urls: Vec<&str> = entries
        .iter()
        .map(|e| {
            e.get("url")
                .and_then(Value::as_str)
                .ok_or_else(|| Ko::invalid("files"))
        })
        .collect::<Result<_, _>>()?;
    let mut store = shared.store();
    let ids: Vec<String> = urls
        .iter()
        .filter_map(|url| store.file_by_url(url).ok().map(|f| f.id.clone()))
        .collect();
    let removed = ids.iter().filter(|id| store.remove_file(id)).count();
    if removed == 0 {
        return Err(Ko::not_found());
    }
    Ok(json!({"status": "OK", "removed": removed}))
}

/// `file/mv.cgi`. A rename is for one file only, must change the name, and fails with `#312`
/// when the move also changes the folder (as seen on the service: move, then rename).
pub(crate) fn file_mv(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let urls = args.strings("urls")?;
    let dest = args.required_int("destination_folder_id")?;
    let rename = args.string("rename")?.filter(|r| !r.is_empty());
    let mut store = shared.store();
    let dest = store.existing_folder(dest)?;
    let ids = file_ids(&store, &urls)?;
    if let Some(new_name) = rename {
        let [id] = ids.as_slice() else {
            return Err(Ko::forbidden("Rename is only possible with one file"));
        };
        if let Some(problem) = name_problem(new_name) {
            return Err(Ko::forbidden(problem));
        }
        let file = store.file(id).ok_or_else(Ko::not_found)?;
        if file.folder != dest || file.name == new_name {
            return Err(Ko::not_renamed());
        }
        store.rename_file(id, new_name);
    } else {
        for id in &ids {
            store.move_file(id, dest);
        }
    }
    let urls: Vec<String> = ids
        .iter()
        .filter_map(|id| store.file(id).map(FileEntry::url))
        .collect();
    Ok(json!({"status": "OK", "urls": urls}))
}

pub(crate) fn file_cp(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let urls = args.strings("urls")?;
    let dest = args.required_int("folder_id")?;
    let rename = args.string("rename")?.filter(|r| !r.is_empty());
    let mut store = shared.store();
    let dest = store.existing_folder(dest)?;
    let ids = file_ids(&store, &urls)?;
    if let Some(new_name) = rename {
        if ids.len() != 1 {
            return Err(Ko::forbidden("Rename is only possible with one file"));
        }
        if let Some(problem) = name_problem(new_name) {
            return Err(Ko::forbidden(problem));
        }
    }
    let mut pairs = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some(file) = store.file(id) else { continue };
        let (from_url, body) = (file.url(), file.body.clone());
        let name = rename.map_or_else(|| file.name.clone(), str::to_string);
        if let Some(new_id) = store.insert_file(dest, &name, body, util::now_date()) {
            let to_url = store.file(&new_id).map(FileEntry::url);
            pairs.push(json!({"from_url": from_url, "to_url": to_url}));
        }
    }
    Ok(json!({"status": "OK", "copied": pairs.len(), "urls": pairs}))
}

/// `file/rename.cgi`: any refused name refuses the whole call; renames to the current name are
/// skipped, and `#312` comes when nothing was renamed at all.
pub(crate) fn file_rename(shared: &Shared, args: &Args) -> Result<Value, Ko> {
    let entries = args.objects("urls")?;
    let mut wanted = Vec::with_capacity(entries.len());
    for entry in entries {
        let url = entry
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| Ko::invalid("urls"))?;
        let name = entry
            .get("filename")
            .and_then(Value::as_str)
            .ok_or_else(|| Ko::invalid("urls"))?;
        if let Some(problem) = name_problem(name) {
            return Err(Ko::forbidden(problem));
        }
        wanted.push((url, name));
    }
    let mut store = shared.store();
    let mut renamed = Vec::new();
    let mut targets = Vec::with_capacity(wanted.len());
    for (url, name) in wanted {
        let file = store.file_by_url(url)?;
        targets.push((file.id.clone(), file.url(), file.name.clone(), name));
    }
    for (id, url, old, new) in targets {
        if old == new {
            continue;
        }
        store.rename_file(&id, new);
        renamed.push(json!({"url": url, "old_filename": old, "new_filename": new}));
    }
    if renamed.is_empty() {
        return Err(Ko::not_renamed());
    }
    Ok(json!({"status": "OK", "renamed": renamed.len(), "urls": renamed}))
}

/// Where the service puts a file whose folder is gone or unknown: the root.
pub(crate) fn folder_or_root(store: &Store, folder: Option<u64>) -> u64 {
    folder
        .filter(|id| store.folder(*id).is_some())
        .unwrap_or(ROOT)
}
