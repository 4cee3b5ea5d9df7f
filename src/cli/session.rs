//! What every command needs before it starts: directories, the config, the key, the client, and,
//! with --demo, the in-process sandbox it talks to.

use super::args::GlobalArgs;
use crate::api::{ApiKey, Client, ClientOptions};
use crate::config::{self, Dirs, FileConfig, ProcessEnv};
use crate::remote::RemoteFs;
use crate::sandbox::{Sandbox, SandboxConfig};
use anyhow::Context;
use std::time::Duration;

pub struct Session {
    pub client: Client,
    pub remote: RemoteFs,
    pub dirs: Dirs,
    pub config: FileConfig,
    /// The demo's sandbox and its temporary folder, alive as long as the session.
    demo: Option<(Sandbox, tempfile::TempDir)>,
}

impl Session {
    pub async fn open(global: &GlobalArgs) -> anyhow::Result<Session> {
        if global.demo {
            return Self::open_demo(global).await;
        }
        let dirs = Dirs::from_system()?;
        let config_path = global
            .config
            .clone()
            .unwrap_or_else(|| dirs.config_file.clone());
        let config = FileConfig::load(&config_path)?;
        let api_url = config::resolve_api_url(global.api_url.as_deref(), &ProcessEnv, &config);
        let key = config::resolve_key(&ProcessEnv, &config, &config_path)?;
        let client = build_client(&config, &api_url, key)?;
        Ok(Session {
            remote: RemoteFs::new(client.clone()),
            client,
            dirs,
            config,
            demo: None,
        })
    }

    /// The demo: a seeded sandbox on loopback, and state kept in a temporary folder so that the
    /// demo's queue never mixes with the user's real one.
    async fn open_demo(global: &GlobalArgs) -> anyhow::Result<Session> {
        let temp = tempfile::Builder::new()
            .prefix("fichier-tui-demo")
            .tempdir()?;
        let mut sandbox_config = SandboxConfig::demo();
        sandbox_config.data_dir = Some(temp.path().join("sandbox"));
        let key = sandbox_config.key.clone();
        let sandbox = Sandbox::start(sandbox_config)
            .await
            .context("starting the demo sandbox")?;
        let mut config = match &global.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        // The demo sandbox locks callers above 5 calls a second, as the real service would.
        config.calls_per_second = Some(config.calls_per_second.unwrap_or(2.0).min(4.0));
        config.flood_wait_seconds = Some(5);
        let dirs = Dirs::under(temp.path());
        let client = build_client(&config, &sandbox.api_url(), ApiKey::new(key))?;
        Ok(Session {
            remote: RemoteFs::new(client.clone()),
            client,
            dirs,
            config,
            demo: Some((sandbox, temp)),
        })
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// Stops the demo sandbox, if any.
    pub async fn close(self) {
        if let Some((sandbox, _temp)) = self.demo {
            sandbox.shutdown().await;
        }
    }
}

fn build_client(config: &FileConfig, api_url: &str, key: ApiKey) -> anyhow::Result<Client> {
    let mut options = ClientOptions::new(api_url, key);
    options.calls_per_second = config::calls_per_second(config, api_url);
    if let Some(secs) = config.flood_wait_seconds {
        options.flood_wait = Duration::from_secs(secs.max(1));
    }
    Ok(Client::new(options)?)
}
