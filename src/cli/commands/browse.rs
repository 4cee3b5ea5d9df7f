//! `info`, `ls` and `links`: commands that read and print.

use crate::api::RemoteFile;
use crate::cli::args::{LinksArgs, LsArgs};
use crate::cli::output::{self, day, name};
use crate::cli::session::Session;
use crate::remote::Target;
use crate::sanitize::from_service_name;
use crate::units::Bytes;
use serde::Serialize;

pub async fn info(session: &Session, json: bool) -> anyhow::Result<()> {
    let account = session.client.user_info().await?;
    if json {
        return output::json(&account);
    }
    let (used, total) = account.usage();
    println!(
        "account       {}",
        name(account.email.as_deref().unwrap_or("(unknown)"))
    );
    let offer = account
        .offer
        .as_ref()
        .map(|o| o.to_string())
        .unwrap_or_else(|| "(unknown)".into());
    match account.subscription_end.as_deref() {
        Some(end) => println!("offer         {offer} until {}", day(Some(end))),
        None => println!("offer         {offer}"),
    }
    match (used, total) {
        (Some(u), Some(t)) if t > 0 => {
            println!(
                "storage       {} of {} ({:.1}%)",
                Bytes(u),
                Bytes(t),
                u as f64 * 100.0 / t as f64
            )
        }
        (Some(u), _) => println!("storage       {} used", Bytes(u)),
        _ => println!("storage       (unknown)"),
    }
    if let Some(hot) = account.hot_storage.filter(|h| *h > 0) {
        println!("hot storage   {}", Bytes(hot));
    }
    if account.upload_forbidden {
        println!("warning       uploads are forbidden on this account");
    }
    if account.overquota {
        println!("warning       the account is over its quota");
    }
    Ok(())
}

#[derive(Serialize)]
struct Listing<'a> {
    folder_id: u64,
    name: &'a str,
    folders: Vec<ListedFolder<'a>>,
    files: &'a [RemoteFile],
}

#[derive(Serialize)]
struct ListedFolder<'a> {
    id: u64,
    name: &'a str,
    create_date: Option<&'a str>,
}

pub async fn ls(session: &Session, args: &LsArgs) -> anyhow::Result<()> {
    let folder = match session.remote.resolve(&args.path).await? {
        Target::Folder { id, .. } => session.remote.folder(id).await?,
        Target::File(file) => {
            if args.json.json {
                return output::json(&[&file]);
            }
            print_file(&file, args.long);
            return Ok(());
        }
    };
    if args.json.json {
        let folders = folder
            .folders
            .iter()
            .map(|f| ListedFolder {
                id: f.id.0,
                name: &f.name,
                create_date: f.create_date.as_deref(),
            })
            .collect();
        return output::json(&Listing {
            folder_id: folder.id.0,
            name: &folder.name,
            folders,
            files: &folder.files,
        });
    }
    for sub in &folder.folders {
        println!(
            "{:>10}  {:10}  {}/",
            "-",
            day(sub.create_date.as_deref()),
            name(&sub.name)
        );
    }
    for file in &folder.files {
        print_file(file, args.long);
    }
    Ok(())
}

fn print_file(file: &RemoteFile, long: bool) {
    let shown = &from_service_name(&file.filename);
    let size = Bytes(file.size).to_string();
    if long {
        println!(
            "{size:>10}  {:10}  {}  {}",
            day(file.date.as_deref()),
            name(shown),
            file.url
        );
    } else {
        println!(
            "{size:>10}  {:10}  {}",
            day(file.date.as_deref()),
            name(shown)
        );
    }
}

#[derive(Serialize)]
struct Link {
    name: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    direct: Option<String>,
}

/// Share URLs of files; a folder stands for the files directly in it.
pub async fn links(session: &Session, args: &LinksArgs) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for path in &args.paths {
        match session.remote.resolve(path).await? {
            Target::File(file) => files.push(file),
            Target::Folder { id, .. } => {
                files.extend(session.remote.folder(id).await?.files.iter().cloned())
            }
        }
    }
    let mut links = Vec::with_capacity(files.len());
    for file in files {
        let direct = if args.direct {
            Some(session.client.download_token(&file.url).await?)
        } else {
            None
        };
        links.push(Link {
            name: file.filename,
            url: file.url.0,
            direct,
        });
    }
    if args.json.json {
        return output::json(&links);
    }
    for link in &links {
        match &link.direct {
            Some(direct) => println!("{}\t{}\t{}", name(&link.name), link.url, direct),
            None => println!("{}\t{}", name(&link.name), link.url),
        }
    }
    Ok(())
}
