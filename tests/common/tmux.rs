//! The real binary in a real pseudo-terminal: tmux runs it, `send` types, `screen` reads.
//! Each instance has its own tmux server (socket), so tests run in parallel without meeting.
//!
//! A shell wraps the program; once it exits, the shell prints `EXIT=<code>` and a `TTY ...` line
//! with the terminal's line-discipline flags as `stty -a` reports them (`icanon`, or `-icanon`
//! when the program left raw mode on), so a test can check what the program left behind.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The flags of `stty -a` the harness reports after the program exits.
const TTY_FLAGS: &str = "icanon|echo|isig|icrnl|opost";

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `program args` in `cwd`, in a `width` x `height` terminal with `env` added. The
    /// pane stays after the program exits, so its last screen and exit status can be read.
    pub fn start(
        program: &Path,
        args: &[&str],
        env: &[(impl AsRef<str>, impl AsRef<str>)],
        cwd: &Path,
        width: u16,
        height: u16,
    ) -> Tmux {
        let socket = format!("fichier-test-{}-{}", std::process::id(), fastrand::u64(..));
        let tmux = Tmux { socket };
        let mut cmd = tmux.command();
        cmd.args(["-f", "/dev/null", "new-session", "-d", "-s", "main"]);
        cmd.args(["-x", &width.to_string(), "-y", &height.to_string()]);
        cmd.arg("-c").arg(cwd);
        for (k, v) in env {
            cmd.args(["-e", &format!("{}={}", k.as_ref(), v.as_ref())]);
        }
        let mut line = shell_quote(&program.display().to_string());
        for a in args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        // One short line of flags, so that it shows whole even on a 40x10 screen.
        line.push_str(&format!(
            "; echo \"EXIT=$?\"; echo \"TTY $(stty -a | tr ' ;' '\\n\\n' | grep -x -E -- '-?({TTY_FLAGS})' | tr '\\n' ' ')\"; sleep 600"
        ));
        cmd.args(["sh", "-c", &line]);
        let status = cmd
            .status()
            .expect("tmux runs (the end-to-end tests need tmux installed)");
        assert!(status.success(), "tmux new-session failed");
        tmux.run(&["set-option", "-t", "main", "status", "off"]);
        tmux.resize(width, height);
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

    /// What the screen shows now, as text (escape sequences already interpreted by tmux).
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    /// The screen with its colours and attributes as escape sequences (`capture-pane -e`).
    pub fn screen_styled(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", "main"])
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

    /// The pid of the program (the wrapping shell's child), while it runs.
    pub fn program_pid(&self) -> Option<u32> {
        let shell: u32 = self.pane_format("#{pane_pid}").parse().ok()?;
        children(shell).into_iter().find(|pid| {
            // The shell's other child, once the program is gone, is `sleep`.
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() != "sleep" && c.trim() != "stty")
        })
    }

    /// Sends `signal` (a name such as "TERM") to the program.
    pub fn signal(&self, signal: &str) {
        let pid = self.program_pid().expect("the program runs");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {pid} failed");
    }

    /// Waits for the program to exit; returns its exit code and the `stty` flags the shell
    /// printed after it (e.g. `["icanon", "echo", ...]`, or `"-icanon"` for raw mode left on).
    pub fn wait_exit(&self, timeout: Duration) -> (i32, Vec<String>) {
        // After a resize, tmux may leave old rows on the main screen: the lines are found
        // anywhere in a row, not only at its start.
        let after = |s: &str, tag: &str| -> Option<String> {
            s.lines()
                .find_map(|l| l.find(tag).map(|i| l[i + tag.len()..].to_string()))
        };
        let screen = self
            .wait_until(timeout, |s| {
                after(s, "EXIT=").is_some() && after(s, "TTY ").is_some()
            })
            .unwrap_or_else(|last| {
                panic!("the program did not exit within {timeout:?}; the screen was:\n{last}")
            });
        let code = after(&screen, "EXIT=")
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(-1);
        let flags = after(&screen, "TTY ")
            .map(|l| l.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        (code, flags)
    }

    /// Waits until the screen contains `text`; panics with the last screen after `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(timeout, |s| s.contains(text))
            .unwrap_or_else(|last| {
                panic!("waited {timeout:?} for {text:?}; the screen was:\n{last}")
            })
    }

    /// Waits until the screen no longer contains `text`.
    pub fn wait_gone(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(timeout, |s| !s.contains(text))
            .unwrap_or_else(|last| {
                panic!("waited {timeout:?} for {text:?} to go; the screen was:\n{last}")
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

/// The processes whose parent is `parent` (from /proc: no tool to install).
fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // The stat line is "pid (comm) state ppid ...": comm may hold spaces, so read after ')'.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
