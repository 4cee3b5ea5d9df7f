//! Keys: defaults in code, each with a name (for the user's `[keys]` table) and a description (for
//! the help screen). The user's table only patches the defaults; a bad entry is reported, never fatal.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Where a key applies. Lookup goes from the most specific context to `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    /// Any list that has a cursor: both panes and the transfer panel.
    Lists,
    Panes,
    Local,
    Remote,
    Transfers,
}

impl Context {
    /// The contexts a key is looked up in when this one has the focus, most specific first.
    pub fn chain(self) -> &'static [Context] {
        match self {
            Context::Local => &[
                Context::Local,
                Context::Panes,
                Context::Lists,
                Context::Global,
            ],
            Context::Remote => &[
                Context::Remote,
                Context::Panes,
                Context::Lists,
                Context::Global,
            ],
            Context::Transfers => &[Context::Transfers, Context::Lists, Context::Global],
            Context::Panes => &[Context::Panes, Context::Lists, Context::Global],
            Context::Lists => &[Context::Lists, Context::Global],
            Context::Global => &[Context::Global],
        }
    }

    /// Whether one key could reach both contexts (then it must not be bound in both).
    fn overlaps(self, other: Context) -> bool {
        [Context::Local, Context::Remote, Context::Transfers]
            .iter()
            .any(|leaf| leaf.chain().contains(&self) && leaf.chain().contains(&other))
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Lists => "Moving in a list",
            Context::Panes => "Both panes",
            Context::Local => "Local pane",
            Context::Remote => "1fichier pane",
            Context::Transfers => "Transfer panel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    Global(GlobalCmd),
    Nav(Nav),
    Pane(PaneCmd),
    Transfer(TransferCmd),
    /// Compare the two panes' folders and mark what differs.
    Compare,
    /// The sync dialog: plan, then sync the two panes' folders.
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GlobalCmd {
    Quit,
    Help,
    SwitchPane,
    ToggleTransfers,
    FocusTransfers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nav {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneCmd {
    Open,
    Back,
    Mark,
    InvertMarks,
    Transfer,
    Move,
    Mkdir,
    Delete,
    Rename,
    Filter,
    Sort,
    Reload,
    ToggleHidden,
    Links,
    RemoteUpload,
    CopyRemote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferCmd {
    PauseResume,
    Cancel,
    Retry,
    MoveUp,
    MoveDown,
    ClearFinished,
    PauseAll,
    Leave,
}

struct Def {
    ctx: Context,
    name: &'static str,
    cmd: Cmd,
    desc: &'static str,
    keys: &'static [&'static str],
}

const fn def(
    ctx: Context,
    name: &'static str,
    cmd: Cmd,
    desc: &'static str,
    keys: &'static [&'static str],
) -> Def {
    Def {
        ctx,
        name,
        cmd,
        desc,
        keys,
    }
}

use Context as C;
#[rustfmt::skip]
const DEFS: &[Def] = &[
    def(C::Global, "quit", Cmd::Global(GlobalCmd::Quit), "quit (the queue is saved)", &["q", "F10", "ctrl-c"]),
    def(C::Global, "help", Cmd::Global(GlobalCmd::Help), "this help", &["?", "F1"]),
    def(C::Global, "switch_pane", Cmd::Global(GlobalCmd::SwitchPane), "switch between the local and 1fichier panes", &["tab", "shift-tab"]),
    def(C::Global, "toggle_transfers", Cmd::Global(GlobalCmd::ToggleTransfers), "show or hide the transfer panel", &["t"]),
    def(C::Global, "focus_transfers", Cmd::Global(GlobalCmd::FocusTransfers), "focus the transfer panel (again: back to the panes)", &["T"]),
    def(C::Lists, "up", Cmd::Nav(Nav::Up), "cursor up", &["up", "k"]),
    def(C::Lists, "down", Cmd::Nav(Nav::Down), "cursor down", &["down", "j"]),
    def(C::Lists, "page_up", Cmd::Nav(Nav::PageUp), "one page up", &["pgup", "ctrl-b"]),
    def(C::Lists, "page_down", Cmd::Nav(Nav::PageDown), "one page down", &["pgdn", "ctrl-f"]),
    def(C::Lists, "top", Cmd::Nav(Nav::Top), "first row", &["home", "g"]),
    def(C::Lists, "bottom", Cmd::Nav(Nav::Bottom), "last row", &["end", "G"]),
    def(C::Panes, "open", Cmd::Pane(PaneCmd::Open), "open a folder (1fichier: expand it)", &["enter", "l", "right"]),
    def(C::Panes, "back", Cmd::Pane(PaneCmd::Back), "parent folder (1fichier: collapse)", &["backspace", "h", "left"]),
    def(C::Panes, "mark", Cmd::Pane(PaneCmd::Mark), "mark or unmark, then move down", &["space", "insert"]),
    def(C::Panes, "invert_marks", Cmd::Pane(PaneCmd::InvertMarks), "invert the marks (1fichier: of the files shown)", &["*"]),
    def(C::Panes, "transfer", Cmd::Pane(PaneCmd::Transfer), "upload or download the marked items to the other pane's folder", &["F5", "c"]),
    def(C::Panes, "move", Cmd::Pane(PaneCmd::Move), "move or rename (local: rename)", &["F6", "m"]),
    def(C::Panes, "mkdir", Cmd::Pane(PaneCmd::Mkdir), "new folder", &["F7", "n"]),
    def(C::Panes, "delete", Cmd::Pane(PaneCmd::Delete), "delete the marked items (asks first)", &["F8", "delete"]),
    def(C::Panes, "rename", Cmd::Pane(PaneCmd::Rename), "rename the item under the cursor", &["r"]),
    def(C::Panes, "filter", Cmd::Pane(PaneCmd::Filter), "filter as you type (Esc clears)", &["/"]),
    def(C::Panes, "sort", Cmd::Pane(PaneCmd::Sort), "sort by name, size, date (folders first)", &["s"]),
    def(C::Panes, "reload", Cmd::Pane(PaneCmd::Reload), "reload the folder", &["R", "ctrl-r"]),
    def(C::Panes, "compare", Cmd::Compare, "compare both folders, mark what differs (again: off)", &["="]),
    def(C::Panes, "sync", Cmd::Sync, "sync this folder to the other pane's: the plan first, then the run", &["S"]),
    def(C::Local, "toggle_hidden", Cmd::Pane(PaneCmd::ToggleHidden), "show or hide dot files", &["."]),
    def(C::Remote, "links", Cmd::Pane(PaneCmd::Links), "copy the share links of the marked files", &["y"]),
    def(C::Remote, "remote_upload", Cmd::Pane(PaneCmd::RemoteUpload), "have 1fichier fetch a URL into this folder", &["u"]),
    def(C::Remote, "copy_remote", Cmd::Pane(PaneCmd::CopyRemote), "copy the marked files to another 1fichier folder", &["C"]),
    def(C::Transfers, "transfer_pause", Cmd::Transfer(TransferCmd::PauseResume), "pause or resume the job", &["p", "space"]),
    def(C::Transfers, "transfer_cancel", Cmd::Transfer(TransferCmd::Cancel), "cancel the job", &["x", "delete"]),
    def(C::Transfers, "transfer_retry", Cmd::Transfer(TransferCmd::Retry), "retry a failed job", &["r"]),
    def(C::Transfers, "transfer_up", Cmd::Transfer(TransferCmd::MoveUp), "move the job up the queue", &["+"]),
    def(C::Transfers, "transfer_down", Cmd::Transfer(TransferCmd::MoveDown), "move the job down the queue", &["-"]),
    def(C::Transfers, "transfer_clear", Cmd::Transfer(TransferCmd::ClearFinished), "clear finished jobs", &["C"]),
    def(C::Transfers, "transfer_pause_all", Cmd::Transfer(TransferCmd::PauseAll), "pause or resume all", &["P"]),
    def(C::Transfers, "transfer_leave", Cmd::Transfer(TransferCmd::Leave), "back to the panes", &["esc"]),
];

/// A key with its modifiers, normalised so that `G` and `shift-g` are one chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // The character already says whether shift was down.
            KeyCode::Char(_) => {
                mods.remove(KeyModifiers::SHIFT);
                code
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                code
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, mods }
    }

    /// The chord of a key press; `None` for releases (kitty protocol) so a key acts once.
    pub fn from_event(ev: &KeyEvent) -> Option<KeyChord> {
        (ev.kind != KeyEventKind::Release).then(|| KeyChord::new(ev.code, ev.modifiers))
    }

    /// Parses `F5`, `c`, `ctrl-r`, `shift-tab`, `space`, `pgdn`...
    pub fn parse(text: &str) -> Option<KeyChord> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" | "bksp" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            f if f.len() > 1 && f.starts_with('f') => {
                KeyCode::F(f[1..].parse().ok().filter(|n| (1..=24).contains(n))?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                // `shift-g` means `G`.
                let c = if mods.contains(KeyModifiers::SHIFT) && c.is_alphabetic() {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                };
                KeyCode::Char(c)
            }
        };
        Some(KeyChord::new(code, mods))
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One live binding, as the help screen lists it.
#[derive(Debug, Clone)]
pub struct Binding {
    pub ctx: Context,
    pub name: &'static str,
    pub cmd: Cmd,
    pub desc: &'static str,
    pub keys: Vec<KeyChord>,
}

/// The live keymap: defaults patched by the user's table.
#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
    lookup: HashMap<(Context, KeyChord), Cmd>,
    /// What was wrong in the user's table, one line each, for the status line.
    pub errors: Vec<String>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new())
    }
}

impl Keymap {
    /// Defaults, then each entry of `user` replaces the keys of the action it names. A key the
    /// user gives to one action is taken away from the actions it could clash with, so no key
    /// does two things.
    pub fn new(user: &BTreeMap<String, Vec<String>>) -> Keymap {
        let mut bindings: Vec<Binding> = DEFS
            .iter()
            .map(|d| Binding {
                ctx: d.ctx,
                name: d.name,
                cmd: d.cmd,
                desc: d.desc,
                keys: d.keys.iter().filter_map(|k| KeyChord::parse(k)).collect(),
            })
            .collect();
        let mut errors = Vec::new();
        for (name, keys) in user {
            let Some(index) = bindings.iter().position(|b| b.name == name.as_str()) else {
                errors.push(format!("[keys] {name}: no such action"));
                continue;
            };
            let mut chords = Vec::new();
            for k in keys {
                match KeyChord::parse(k) {
                    Some(c) => chords.push(c),
                    None => errors.push(format!("[keys] {name}: cannot read the key {k:?}")),
                }
            }
            if chords.is_empty() && !keys.is_empty() {
                continue;
            }
            let ctx = bindings[index].ctx;
            for (i, b) in bindings.iter_mut().enumerate() {
                if i != index && b.ctx.overlaps(ctx) {
                    b.keys.retain(|c| !chords.contains(c));
                }
            }
            bindings[index].keys = chords;
        }
        let mut lookup = HashMap::new();
        for b in &bindings {
            for k in &b.keys {
                lookup.entry((b.ctx, *k)).or_insert(b.cmd);
            }
        }
        Keymap {
            bindings,
            lookup,
            errors,
        }
    }

    /// The command of a chord in the first of `contexts` that binds it.
    pub fn lookup(&self, contexts: &[Context], chord: KeyChord) -> Option<Cmd> {
        contexts
            .iter()
            .find_map(|c| self.lookup.get(&(*c, chord)).copied())
    }

    /// The keys of a command, for hints (`F5`); empty when the user unbound it.
    pub fn keys_of(&self, cmd: Cmd) -> Vec<KeyChord> {
        self.bindings
            .iter()
            .find(|b| b.cmd == cmd)
            .map(|b| b.keys.clone())
            .unwrap_or_default()
    }

    /// The first key of a command as text, or `-` when none is bound.
    pub fn hint(&self, cmd: Cmd) -> String {
        self.keys_of(cmd)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "-".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap()
    }

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(
            chord("F5"),
            KeyChord::new(KeyCode::F(5), KeyModifiers::NONE)
        );
        assert_eq!(
            chord("ctrl-r"),
            KeyChord::new(KeyCode::Char('r'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            chord("shift-tab"),
            KeyChord::new(KeyCode::BackTab, KeyModifiers::NONE)
        );
        assert_eq!(chord("shift-g"), chord("G"));
        assert_eq!(
            KeyChord::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
            chord("G")
        );
        assert_eq!(chord("space").to_string(), "Space");
        assert!(KeyChord::parse("F99").is_none());
        assert!(KeyChord::parse("abc").is_none());
    }

    #[test]
    fn user_table_patches_and_reports() {
        let mut user = BTreeMap::new();
        user.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
        user.insert("sort".to_string(), vec!["q".to_string()]);
        user.insert("nonsense".to_string(), vec!["x".to_string()]);
        user.insert("help".to_string(), vec!["hyper-z".to_string()]);
        let km = Keymap::new(&user);
        let ctx = [
            Context::Local,
            Context::Panes,
            Context::Lists,
            Context::Global,
        ];
        assert_eq!(km.lookup(&ctx, chord("q")), Some(Cmd::Pane(PaneCmd::Sort)));
        assert_eq!(
            km.lookup(&ctx, chord("ctrl-q")),
            Some(Cmd::Global(GlobalCmd::Quit))
        );
        assert_eq!(km.lookup(&ctx, chord("F10")), None, "replaced, not added");
        assert_eq!(km.lookup(&ctx, chord("s")), None);
        assert_eq!(km.errors.len(), 2, "{:?}", km.errors);
        // A bad key leaves the defaults alone.
        assert_eq!(
            km.lookup(&ctx, chord("?")),
            Some(Cmd::Global(GlobalCmd::Help))
        );
    }

    #[test]
    fn contexts_decide_between_same_keys() {
        let km = Keymap::default();
        let remote = [
            Context::Remote,
            Context::Panes,
            Context::Lists,
            Context::Global,
        ];
        let transfers = [Context::Transfers, Context::Lists, Context::Global];
        assert_eq!(
            km.lookup(&remote, chord("C")),
            Some(Cmd::Pane(PaneCmd::CopyRemote))
        );
        assert_eq!(
            km.lookup(&transfers, chord("C")),
            Some(Cmd::Transfer(TransferCmd::ClearFinished))
        );
        assert_eq!(
            km.lookup(&remote, chord("r")),
            Some(Cmd::Pane(PaneCmd::Rename))
        );
        assert_eq!(
            km.lookup(&transfers, chord("r")),
            Some(Cmd::Transfer(TransferCmd::Retry))
        );
    }
}
