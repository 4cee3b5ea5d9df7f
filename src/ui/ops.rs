//! The pane commands: moving through folders, marks, and the operations that ask first (a
//! confirmation or a text input) before they become effects.

use super::app::App;
use super::dialog::{Confirm, Dialog, InputDialog, InputPurpose, OnConfirm};
use super::effect::{Effect, LocalOp, RemoteDest, RemoteOp};
use super::input::TextInput;
use super::keymap::PaneCmd;
use super::layout::Side;
use super::local_pane::Filter;
use super::remote_tree::Picked;
use crate::api::{FileUrl, FolderId};
use crate::sanitize::{for_terminal, from_service_name, local_file_name};
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
                        vec![Effect::Local(LocalOp::Delete { paths, dir })],
                    );
                }
                None
            }
            PaneCmd::Links | PaneCmd::RemoteUpload | PaneCmd::CopyRemote => None,
        };
        effect.into_iter().collect()
    }

    pub(super) fn remote_cmd(&mut self, cmd: PaneCmd) -> Vec<Effect> {
        let h = self.pane_height(Side::Remote);
        match cmd {
            PaneCmd::Open => return self.remote.open(h).into_iter().collect(),
            PaneCmd::Back => self.remote.back(h),
            PaneCmd::Mark => self.remote.toggle_mark(h),
            PaneCmd::InvertMarks => self.remote.invert_marks(),
            PaneCmd::Sort => {
                let next = self.remote.sort.next();
                self.remote.set_sort(next, h);
                self.say(format!("1fichier: sorted by {}", next.label()));
            }
            PaneCmd::Reload => {
                let f = self.remote.current_folder();
                return self.remote.request(f).into_iter().collect();
            }
            PaneCmd::Filter => self.start_filter(),
            PaneCmd::ToggleHidden => {}
            PaneCmd::Transfer => self.ask_download(),
            PaneCmd::Mkdir => {
                let parent = self.remote.current_folder();
                let label = format!("in 1fichier {}", for_terminal(&self.remote.path(parent)));
                self.ask_text(
                    "New folder",
                    &label,
                    "",
                    InputPurpose::RemoteMkdir { parent },
                );
            }
            PaneCmd::Rename => match self.remote.selection_at_cursor() {
                Some(Picked::File { file, folder }) => {
                    let name = from_service_name(&file.filename);
                    let label = format!("new name for {}", for_terminal(&name));
                    self.ask_text(
                        "Rename",
                        &label,
                        &name,
                        InputPurpose::RemoteRenameFile {
                            url: file.url,
                            folder,
                        },
                    );
                }
                Some(Picked::Folder { id, name, parent }) => {
                    let name = from_service_name(&name);
                    let label = format!("new name for {}/", for_terminal(&name));
                    self.ask_text(
                        "Rename folder",
                        &label,
                        &name,
                        InputPurpose::RemoteRenameFolder { id, parent },
                    );
                }
                None => {}
            },
            PaneCmd::Move => self.ask_move(),
            PaneCmd::Delete => self.ask_remote_delete(),
            PaneCmd::Links => return self.links(),
            PaneCmd::RemoteUpload => {
                let folder = self.remote.current_folder();
                let label = format!(
                    "URL for 1fichier to fetch into {}",
                    for_terminal(&self.remote.path(folder))
                );
                self.ask_text(
                    "Remote upload",
                    &label,
                    "https://",
                    InputPurpose::RemoteUpload { folder },
                );
            }
            PaneCmd::CopyRemote => {
                let files: Vec<FileUrl> = self
                    .remote
                    .selection()
                    .into_iter()
                    .filter_map(file_url)
                    .collect();
                if files.is_empty() {
                    self.say("copy: mark files first (folders cannot be copied)");
                } else {
                    let from = self.remote.path(self.remote.current_folder());
                    let label = format!(
                        "copy {} file{} to the 1fichier folder",
                        files.len(),
                        plural(files.len())
                    );
                    self.ask_text(
                        "Copy",
                        &label,
                        &with_slash(&from),
                        InputPurpose::RemoteCopy { files },
                    );
                }
            }
        }
        Vec::new()
    }

    fn start_filter(&mut self) {
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

    fn ask_text(&mut self, title: &str, label: &str, initial: &str, purpose: InputPurpose) {
        self.open_dialog(Dialog::Input(InputDialog {
            title: title.into(),
            label: label.into(),
            input: TextInput::new(initial),
            purpose,
        }));
    }

    fn ask_upload(&mut self) {
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

    fn ask_download(&mut self) {
        let picked = self.remote.selection();
        if picked.is_empty() {
            self.say("nothing to download: mark files or put the cursor on one");
            return;
        }
        let dir = self.local.dir.clone();
        let mut bytes = 0;
        let jobs: Vec<JobKind> = picked
            .iter()
            .map(|p| match p {
                Picked::File { file, .. } => {
                    bytes += file.size;
                    JobKind::Download {
                        url: file.url.clone(),
                        local: dir.join(local_file_name(&file.filename)),
                        size: file.size,
                        checksum: file.checksum.clone(),
                    }
                }
                Picked::Folder { id, name, .. } => JobKind::DownloadDir {
                    folder: *id,
                    name: local_file_name(name),
                    local_parent: dir.clone(),
                },
            })
            .collect();
        let from = match &picked[0] {
            Picked::File { folder, .. } => *folder,
            Picked::Folder { parent, .. } => *parent,
        };
        let n = picked.len();
        self.open_dialog(Dialog::Confirm(Confirm {
            title: format!("Download {n} item{} ({})", plural(n), Bytes(bytes)),
            names: Vec::new(),
            lines: vec![
                format!("from 1fichier {}", for_terminal(&self.remote.path(from))),
                format!("to   {}", for_terminal(&self.show_path(&dir))),
            ],
            ok: "Download".into(),
            cancel: "Cancel".into(),
            focus_ok: true,
            danger: false,
            then: OnConfirm::Effects(vec![Effect::Enqueue(jobs)]),
        }));
    }

    /// A confirmation that names what goes and says it cannot be undone.
    fn ask_delete(&mut self, names: &[String], bytes: u64, place: &str, effects: Vec<Effect>) {
        let n = names.len();
        let mut shown: Vec<String> = names
            .iter()
            .take(NAMES_SHOWN)
            .map(|s| for_terminal(s).into_owned())
            .collect();
        if n > NAMES_SHOWN {
            shown.push(format!("and {} more", n - NAMES_SHOWN));
        }
        let lines = vec![
            format!("in {}", for_terminal(place)),
            "This cannot be undone.".into(),
        ];
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

    fn ask_remote_delete(&mut self) {
        let picked = self.remote.selection();
        if picked.is_empty() {
            return;
        }
        let mut files = Vec::new();
        let mut folders = Vec::new();
        let mut refresh = Vec::new();
        let mut names = Vec::new();
        let mut bytes = 0;
        for p in &picked {
            match p {
                Picked::File { file, folder } => {
                    files.push(file.url.clone());
                    refresh.push(*folder);
                    names.push(from_service_name(&file.filename));
                    bytes += file.size;
                }
                Picked::Folder { id, name, parent } => {
                    folders.push(*id);
                    refresh.push(*parent);
                    names.push(format!("{}/", from_service_name(name)));
                }
            }
        }
        refresh.sort();
        refresh.dedup();
        let place = match refresh.as_slice() {
            [one] => format!("1fichier {}", self.remote.path(*one)),
            _ => "1fichier".to_string(),
        };
        self.ask_delete(
            &names,
            bytes,
            &place,
            vec![Effect::Remote(RemoteOp::Delete {
                files,
                folders,
                refresh,
            })],
        );
    }

    fn ask_move(&mut self) {
        let picked = self.remote.selection();
        let (files, folders, mut from) = split(&picked);
        if picked.is_empty() {
            return;
        }
        from.sort();
        from.dedup();
        let single = picked.len() == 1;
        let (initial, label) = match &picked[0] {
            Picked::File { file, folder } if single => (
                format!(
                    "{}/{}",
                    self.remote.path(*folder).trim_end_matches('/'),
                    from_service_name(&file.filename)
                ),
                "new path, or just a new name".to_string(),
            ),
            Picked::Folder { name, parent, .. } if single => (
                format!(
                    "{}/{}",
                    self.remote.path(*parent).trim_end_matches('/'),
                    from_service_name(name)
                ),
                "new path, or just a new name".to_string(),
            ),
            _ => (
                with_slash(&self.remote.path(self.remote.current_folder())),
                format!("move {} items to the 1fichier folder", picked.len()),
            ),
        };
        self.ask_text(
            "Move",
            &label,
            &initial,
            InputPurpose::RemoteMove {
                files,
                folders,
                from,
                single,
            },
        );
    }

    fn links(&mut self) -> Vec<Effect> {
        let links: Vec<(String, String)> = self
            .remote
            .selection()
            .into_iter()
            .filter_map(|p| match p {
                Picked::File { file, .. } => Some((from_service_name(&file.filename), file.url.0)),
                Picked::Folder { .. } => None,
            })
            .collect();
        if links.is_empty() {
            self.say("links: mark files first (folders have no link)");
            return Vec::new();
        }
        let text = links
            .iter()
            .map(|l| l.1.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        self.open_dialog(Dialog::Links { links, scroll: 0 });
        vec![Effect::Clipboard(text)]
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

    /// A move's text: a bare name renames one item; a path moves into that folder, and for one
    /// item a last name that is not a folder is its new name.
    fn plan_move(
        &mut self,
        text: &str,
        files: Vec<FileUrl>,
        folders: Vec<FolderId>,
        from: Vec<FolderId>,
        single: bool,
    ) -> Option<Effect> {
        if single && !text.contains('/') {
            let unchanged = self.remote.selection().first().is_some_and(|p| match p {
                Picked::File { file, .. } => from_service_name(&file.filename) == text,
                Picked::Folder { name, .. } => from_service_name(name) == text,
            });
            if unchanged {
                return None;
            }
            return Some(match (files.first(), folders.first()) {
                (Some(url), _) => Effect::Remote(RemoteOp::RenameFile {
                    url: url.clone(),
                    name: text.into(),
                    folder: from.first().copied().unwrap_or_default(),
                }),
                (None, Some(id)) => Effect::Remote(RemoteOp::RenameFolder {
                    id: *id,
                    parent: from.first().copied().unwrap_or_default(),
                    name: text.into(),
                }),
                (None, None) => return None,
            });
        }
        let (start, rest) = self.remote.resolve_known(text);
        if single
            && !text.ends_with('/')
            && !rest.is_empty()
            && rest.len() == 1
            && from.first() == Some(&start)
        {
            // Same folder, new last name: a plain rename.
            let name = rest[0].clone();
            return self.plan_move(&name, files, folders, from, true);
        }
        if single && rest.is_empty() && folders.first() == Some(&start) {
            self.say("a folder cannot move into itself");
            return None;
        }
        let mut refresh = from;
        refresh.push(start);
        Some(Effect::Remote(RemoteOp::Move {
            files,
            folders,
            dest: RemoteDest {
                start,
                rest,
                rename_last: single && !text.ends_with('/'),
            },
            refresh,
        }))
    }
}

fn split(picked: &[Picked]) -> (Vec<FileUrl>, Vec<FolderId>, Vec<FolderId>) {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    let mut from = Vec::new();
    for p in picked {
        match p {
            Picked::File { file, folder } => {
                files.push(file.url.clone());
                from.push(*folder);
            }
            Picked::Folder { id, parent, .. } => {
                folders.push(*id);
                from.push(*parent);
            }
        }
    }
    (files, folders, from)
}

fn file_url(p: Picked) -> Option<FileUrl> {
    match p {
        Picked::File { file, .. } => Some(file.url),
        Picked::Folder { .. } => None,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn with_slash(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}
