//! The command line, as clap reads it.

use crate::transfer::ConflictPolicy;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "fichier-tui",
    version,
    about = "Browse and manage 1fichier.com storage from a terminal: two panes, a resumable transfer queue",
    long_about = "Browse and manage 1fichier.com storage from a terminal.\n\n\
        Without a subcommand, opens the two-pane interface. The API key comes from FICHIER_API_KEY, \
        RCLONE_FICHIER_API_KEY, or the config file (never from the command line). \
        Try it without an account: fichier-tui --demo"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run against a built-in emulator of 1fichier with sample data: no account needed.
    #[arg(long, global = true)]
    pub demo: bool,
    /// API base URL, /v1 included [env: FICHIER_API_URL] [default: https://api.1fichier.com/v1]
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// Use this config file instead of ~/.config/fichier-tui/config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The account: offer, end date, storage used and quota.
    Info(JsonFlag),
    /// List a remote folder: folders, then files with size and date.
    Ls(LsArgs),
    /// Create a remote folder.
    Mkdir(MkdirArgs),
    /// Remove remote files, or folders with -r.
    Rm(RmArgs),
    /// Move files or folders into a folder, or rename a single one.
    Mv(MvArgs),
    /// Copy files into a folder.
    Cp(CpArgs),
    /// Upload local files and folders (recursively) into a remote folder.
    Upload(UploadArgs),
    /// Download remote files and folders (recursively) into a local folder.
    Download(DownloadArgs),
    /// Print the share URL of each file; --direct adds a one-time download URL.
    Links(LinksArgs),
    /// Ask 1fichier to fetch URLs into a folder.
    RemoteUpload(RemoteUploadArgs),
    /// One-way sync: a local folder to 1fichier (backup) or 1fichier to a local folder (restore).
    Sync(super::commands::sync::SyncArgs),
    /// Run the API emulator alone, for scripts and benchmarks.
    Sandbox(SandboxArgs),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// A remote folder path such as /Documents/2024 (default: the root).
    #[arg(default_value = "/")]
    pub path: String,
    /// Also show each file's URL.
    #[arg(short, long)]
    pub long: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    pub path: String,
    /// Create missing parents too, and succeed if the folder exists.
    #[arg(short, long)]
    pub parents: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Remove folders and everything in them.
    #[arg(short, long)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct MvArgs {
    /// Sources, then the destination folder (or the new name, with one source).
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Source files, then the destination folder.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TransferFlags {
    /// Transfers at once.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Bandwidth cap across transfers, such as 10M (bytes per second).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub bwlimit: Option<u64>,
    /// What to do when the destination has a file of that name.
    #[arg(long, value_enum, default_value_t = OnConflict::Skip)]
    pub on_conflict: OnConflict,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Local files or folders, then the remote folder.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub flags: TransferFlags,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Remote files or folders (paths or file URLs), then the local folder.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub flags: TransferFlags,
}

#[derive(Debug, Args)]
pub struct LinksArgs {
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Also get a one-time direct download URL for each file.
    #[arg(long)]
    pub direct: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct RemoteUploadArgs {
    #[arg(required = true)]
    pub urls: Vec<String>,
    /// The remote folder to fetch into.
    #[arg(long, default_value = "/")]
    pub to: String,
    /// Wait until 1fichier has fetched them, and print the results.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// The key the sandbox accepts (it is the sandbox's own, not a 1fichier key).
    #[arg(long)]
    pub key: Option<String>,
    /// Where to keep uploaded files (default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Load the demo's sample folders and files.
    #[arg(long)]
    pub seed: bool,
    /// Lock clients making more than this many calls a second (0: never).
    #[arg(long, default_value_t = 0)]
    pub flood_limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnConflict {
    Skip,
    Rename,
    Overwrite,
}

impl From<OnConflict> for ConflictPolicy {
    fn from(c: OnConflict) -> Self {
        match c {
            OnConflict::Skip => ConflictPolicy::Skip,
            OnConflict::Rename => ConflictPolicy::Rename,
            OnConflict::Overwrite => ConflictPolicy::Overwrite,
        }
    }
}

fn parse_rate(s: &str) -> Result<u64, String> {
    crate::units::parse_size(s).ok_or_else(|| format!("{s:?} is not a rate such as 10M or 500k"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_key_flag_exists() {
        let err = Cli::try_parse_from(["fichier-tui", "--api-key", "x", "info"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn transfers_parse() {
        let cli = Cli::try_parse_from([
            "fichier-tui",
            "upload",
            "a",
            "b",
            "/dst",
            "-j",
            "5",
            "--bwlimit",
            "2M",
        ])
        .unwrap();
        let Some(Command::Upload(args)) = cli.command else {
            panic!("not upload")
        };
        assert_eq!(args.paths, ["a", "b", "/dst"]);
        assert_eq!(args.flags.jobs, Some(5));
        assert_eq!(args.flags.bwlimit, Some(2_000_000));
        assert_eq!(args.flags.on_conflict, OnConflict::Skip);
    }
}
