//! The local pane's commands, uploads, and what both panes share: the dialogs that ask first (a
//! confirmation or a text input) and what their answers become.

use super::app::App;
use super::dialog::{Confirm, Dialog, InputDialog, InputPurpose, OnConfirm};
use super::effect::{Effect, LocalOp, RemoteDest, RemoteOp};
use super::input::TextInput;
use super::keymap::PaneCmd;
use super::layout::Side;
use super::local_pane::Filter;
use crate::sanitize::for_terminal;
use crate::transfer::JobKind;
use crate::units::Bytes;

/// How many names a confirmation lists before "and N more".
const NAMES_SHOWN: usize = 5;

impl App {
    pub(super) fn local_cmd(&mut self, cmd: PaneCmd) -> Vec<Effect> {
        let h = self.pane_height(Side::Local);
        let effect = match cmd {
            PaneCmd::Open => self.local.open(),
            PaneCmd::Back => self.local.up(),
            PaneCmd::Mark => {
                self.local.toggle_mark(h);
                None
            }
            PaneCmd::InvertMarks => {
                self.local.invert_marks();
                None
            }
            PaneCmd::Sort => {
                let next = self.local.sort.next();
                self.local.set_sort(next, h);
                self.say(format!("local: sorted by {}", next.label()));
                None
            }
            PaneCmd::ToggleHidden => {
                self.local.toggle_hidden(h);
                None
            }
            PaneCmd::Reload => Some(self.local.reload()),
            PaneCmd::Filter => {
                self.start_filter();
                None
            }
            PaneCmd::Transfer => {
                self.ask_upload();
                None
            }
            PaneCmd::Move | PaneCmd::Rename => {
                if let Some(e) = self.local.cursor_entry() {
                    let path = self.local.path_of(e);
                    let name = e.name.clone();
                    self.ask_text(
                        "Rename",
                        &format!("new name for {}", for_terminal(&name)),
                        &name,
                        InputPurpose::LocalRename { path },
                    );
                }
                None
            }
            PaneCmd::Mkdir => {
                let dir = self.local.dir.clone();
                let label = format!("in {}", self.show_path(&dir));
                self.ask_text("New folder", &label, "", InputPurpose::LocalMkdir { dir });
                None
            }
            PaneCmd::Delete => {
                let picked: Vec<(String, std::path::PathBuf, u64)> = self
                    .local
                    .selection()
                    .iter()
                    .map(|e| {
                        let name = if e.is_dir {
                            format!("{}/", e.name)
                        } else {
                            e.name.clone()
                        };
                        (name, self.local.path_of(e), e.size)
                    })
                    .collect();
                if !picked.is_empty() {
                    let names: Vec<String> = picked.iter().map(|p| p.0.clone()).collect();
                    let bytes = picked.iter().map(|p| p.2).sum();
                    let paths = picked.into_iter().map(|p| p.1).collect();
                    let dir = self.local.dir.clone();
                    let where_ = self.show_path(&dir);
                    self.ask_delete(
                        &names,
                        bytes,
                        &where_,
                        None,
                        vec![Effect::Local(LocalOp::Delete { paths, dir })],
                    );
                }
                None
            }
            PaneCmd::Links | PaneCmd::RemoteUpload | PaneCmd::CopyRemote => None,
        };
        effect.into_iter().collect()
    }

    pub(super) fn start_filter(&mut self) {
        let current = match self.side {
            Side::Local => self.local.filter.clone(),
            Side::Remote => self.remote.filter.clone(),
        };
        let input = current.map(|f| f.input).unwrap_or_default();
        self.set_filter(Some(Filter {
            input,
            typing: true,
        }));
    }

    pub(super) fn ask_text(
        &mut self,
        title: &str,
        label: &str,
        initial: &str,
        purpose: InputPurpose,
    ) {
        self.open_dialog(Dialog::Input(InputDialog {
            title: title.into(),
            label: label.into(),
            input: TextInput::new(initial),
            purpose,
        }));
    }

    pub(super) fn ask_upload(&mut self) {
        let picked = self.local.selection();
        if picked.is_empty() {
            self.say("nothing to upload: mark files or put the cursor on one");
            return;
        }
        let folder = self.remote.current_folder();
        let bytes: u64 = picked.iter().filter(|e| !e.is_dir).map(|e| e.size).sum();
        let n = picked.len();
        let jobs: Vec<JobKind> = picked
            .iter()
            .map(|e| {
                let local = self.local.path_of(e);
                if e.is_dir {
                    JobKind::UploadDir {
                        local,
                        parent: folder,
                    }
                } else {
                    JobKind::Upload {
                        local,
                        folder,
                        remote_name: e.name.clone(),
                    }
                }
            })
            .collect();
        let mut lines = vec![
            format!("from {}", for_terminal(&self.show_path(&self.local.dir))),
            format!("to   1fichier {}", for_terminal(&self.remote.path(folder))),
        ];
        if self
            .account
            .info
            .as_ref()
            .is_some_and(|a| a.upload_forbidden)
        {
            lines.push("Warning: the account says uploads are forbidden.".into());
        }
        self.open_dialog(Dialog::Confirm(Confirm {
            title: format!("Upload {n} item{} ({})", plural(n), Bytes(bytes)),
            names: Vec::new(),
            lines,
            ok: "Upload".into(),
            cancel: "Cancel".into(),
            focus_ok: true,
            danger: false,
            then: OnConfirm::Effects(vec![Effect::Enqueue(jobs)]),
        }));
    }

    /// A confirmation that names what goes and says it cannot be undone.
    pub(super) fn ask_delete(
        &mut self,
        names: &[String],
        bytes: u64,
        place: &str,
        note: Option<&str>,
        effects: Vec<Effect>,
    ) {
        let n = names.len();
        let mut shown: Vec<String> = names
            .iter()
            .take(NAMES_SHOWN)
            .map(|s| for_terminal(s).into_owned())
            .collect();
        if n > NAMES_SHOWN {
            shown.push(format!("and {} more", n - NAMES_SHOWN));
        }
        let mut lines = vec![format!("in {}", for_terminal(place))];
        lines.extend(note.map(String::from));
        lines.push("This cannot be undone.".into());
        let size = if bytes > 0 {
            format!(" ({})", Bytes(bytes))
        } else {
            String::new()
        };
        self.open_dialog(Dialog::Confirm(Confirm {
            title: format!("Delete {n} item{}{size}?", plural(n)),
            names: shown,
            lines,
            ok: "Delete".into(),
            cancel: "Cancel".into(),
            focus_ok: false,
            danger: true,
            then: OnConfirm::Effects(effects),
        }));
    }

    /// Carries out what an input dialog was opened for.
    pub(super) fn submit(&mut self, text: String, purpose: InputPurpose) -> Vec<Effect> {
        let effect = match purpose {
            InputPurpose::LocalMkdir { dir } => Effect::Local(LocalOp::Mkdir { dir, name: text }),
            InputPurpose::LocalRename { path } => {
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy() == text)
                {
                    return Vec::new();
                }
                Effect::Local(LocalOp::Rename {
                    path,
                    new_name: text,
                })
            }
            InputPurpose::RemoteMkdir { parent } => {
                Effect::Remote(RemoteOp::Mkdir { parent, name: text })
            }
            InputPurpose::RemoteRenameFile { url, folder } => {
                Effect::Remote(RemoteOp::RenameFile {
                    url,
                    name: text,
                    folder,
                })
            }
            InputPurpose::RemoteRenameFolder { id, parent } => {
                Effect::Remote(RemoteOp::RenameFolder {
                    id,
                    parent,
                    name: text,
                })
            }
            InputPurpose::RemoteCopy { files } => {
                let (start, rest) = self.remote.resolve_known(&text);
                Effect::Remote(RemoteOp::Copy {
                    files,
                    dest: RemoteDest {
                        start,
                        rest,
                        rename_last: false,
                    },
                })
            }
            InputPurpose::RemoteUpload { folder } => {
                let urls: Vec<String> = text.split_whitespace().map(String::from).collect();
                if let Some(bad) = urls.iter().find(|u| {
                    !(u.starts_with("http://") || u.starts_with("https://")) || u.len() <= 8
                }) {
                    self.error(format!("not a URL: {}", for_terminal(bad)));
                    return Vec::new();
                }
                self.transfers.shown = None;
                Effect::Enqueue(vec![JobKind::RemoteUpload { urls, folder }])
            }
            InputPurpose::RemoteMove {
                files,
                folders,
                from,
                single,
            } => match self.plan_move(&text, files, folders, from, single) {
                Some(e) => e,
                None => return Vec::new(),
            },
        };
        vec![effect]
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn with_slash(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}
