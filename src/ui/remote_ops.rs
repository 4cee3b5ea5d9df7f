//! The 1fichier pane's commands: the tree, downloads, and the operations on remote files and
//! folders (rename, move, copy, delete, links, remote upload), each asking first.

use super::app::App;
use super::dialog::{Confirm, Dialog, InputPurpose, OnConfirm};
use super::effect::{Effect, RemoteDest, RemoteOp};
use super::keymap::PaneCmd;
use super::layout::Side;
use super::ops::{plural, with_slash};
use super::remote_tree::Picked;
use crate::api::{FileUrl, FolderId};
use crate::sanitize::{for_terminal, from_service_name, local_file_name};
use crate::transfer::JobKind;
use crate::units::Bytes;

impl App {
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

    pub(super) fn ask_download(&mut self) {
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

    pub(super) fn ask_remote_delete(&mut self) {
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
        // Said before, not after: the service refuses to delete a folder that is not empty.
        let note = (!folders.is_empty()).then_some("1fichier deletes only empty folders.");
        self.ask_delete(
            &names,
            bytes,
            &place,
            note,
            vec![Effect::Remote(RemoteOp::Delete {
                files,
                folders,
                refresh,
            })],
        );
    }

    pub(super) fn ask_move(&mut self) {
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

    pub(super) fn links(&mut self) -> Vec<Effect> {
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

    /// A move's text: a bare name renames one item; a path moves into that folder, and for one
    /// item a last name that is not a folder is its new name.
    pub(super) fn plan_move(
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
        refresh.sort();
        refresh.dedup();
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
