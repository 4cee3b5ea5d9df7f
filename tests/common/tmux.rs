//! The real binary in a real pseudo-terminal: tmux runs it, `send` types, `screen` reads.
//! Each instance has its own tmux server (socket), so tests run in parallel without meeting.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `program args` in a `width` x `height` terminal with `env` added. The pane stays
    /// after the program exits, so its last screen and exit status can be read.
    pub fn start(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        width: u16,
        height: u16,
    ) -> Tmux {
        let socket = format!("fichier-test-{}-{}", std::process::id(), fastrand::u64(..));
        let tmux = Tmux { socket };
        let mut cmd = tmux.command();
        cmd.args(["-f", "/dev/null", "new-session", "-d", "-s", "main"]);
        cmd.args(["-x", &width.to_string(), "-y", &height.to_string()]);
        for (k, v) in env {
            cmd.args(["-e", &format!("{k}={v}")]);
        }
        // A shell wraps the program so that, once it quits, we can see the terminal it left.
        let mut line = shell_quote(&program.display().to_string());
        for a in args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        line.push_str("; echo \"EXIT=$?\"; stty -a | head -n 4; sleep 600");
        cmd.args(["sh", "-c", &line]);
        let status = cmd.status().expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        tmux.run(&["set-option", "-t", "main", "status", "off"]);
        tmux.run(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        tmux
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd.env_remove("TMUX");
        cmd
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types keys, in tmux's names: "Tab", "F5", "Enter", "Space", "C-c", or literal text.
    pub fn send(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "main", key]);
        }
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "main", "-l", text]);
    }

    /// What the screen shows now.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    /// A tmux format value of the pane, e.g. `#{alternate_on}`.
    pub fn pane_format(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "main", format])
            .trim()
            .to_string()
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.run(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Waits until the screen contains `text`; panics with the last screen after `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(timeout, |s| s.contains(text))
            .unwrap_or_else(|last| {
                panic!("waited {timeout:?} for {text:?}; the screen was:\n{last}")
            })
    }

    /// Waits until `check` accepts the screen; returns the last screen if it never does.
    pub fn wait_until(
        &self,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return Ok(screen);
            }
            if start.elapsed() > timeout {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
