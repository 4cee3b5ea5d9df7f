//! Dialogs: what each holds, and how it answers keys. A dialog takes every key while it is open;
//! what it decides comes back as a `DialogOutcome` for `update` to carry out.

use super::effect::Effect;
use super::input::TextInput;
use crate::api::{FileUrl, FolderId};
use crate::transfer::{ConflictAnswer, ConflictPolicy, ConflictQuestion, Control};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Confirm(Confirm),
    Input(InputDialog),
    Conflict(ConflictDialog),
    /// An error (or a notice) to read and dismiss.
    Message {
        title: String,
        text: String,
        error: bool,
    },
    /// Share links: (name, url), already on the clipboard.
    Links {
        links: Vec<(String, String)>,
        scroll: usize,
    },
    Help {
        scroll: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    /// Names of what the action touches (cut, never wrapped; the first to go on a short screen).
    pub names: Vec<String>,
    /// Sentences (wrapped to the dialog's width).
    pub lines: Vec<String>,
    pub ok: String,
    pub cancel: String,
    pub focus_ok: bool,
    /// Destructive: drawn in the error style, the focus starts on Cancel.
    pub danger: bool,
    pub then: OnConfirm,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OnConfirm {
    Effects(Vec<Effect>),
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputDialog {
    pub title: String,
    pub label: String,
    pub input: TextInput,
    pub purpose: InputPurpose,
}

/// What the text typed in an input dialog is for.
#[derive(Debug, Clone, PartialEq)]
pub enum InputPurpose {
    LocalMkdir {
        dir: PathBuf,
    },
    LocalRename {
        path: PathBuf,
    },
    RemoteMkdir {
        parent: FolderId,
    },
    RemoteRenameFile {
        url: FileUrl,
        folder: FolderId,
    },
    RemoteRenameFolder {
        id: FolderId,
        parent: FolderId,
    },
    /// A destination path (or, for one item, a new name).
    RemoteMove {
        files: Vec<FileUrl>,
        folders: Vec<FolderId>,
        from: Vec<FolderId>,
        single: bool,
    },
    RemoteCopy {
        files: Vec<FileUrl>,
    },
    RemoteUpload {
        folder: FolderId,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConflictDialog {
    pub question: ConflictQuestion,
    pub for_all: bool,
}

/// What a key did to the open dialog.
#[derive(Debug, PartialEq)]
pub enum DialogOutcome {
    /// Still open (maybe changed).
    Stay,
    /// Closed with nothing to do.
    Close,
    /// Closed; carry these out.
    Effects(Vec<Effect>),
    /// Closed with text for the given purpose.
    Submit(String, InputPurpose),
    Quit,
}

impl Dialog {
    /// Handles a key. `page` is how many lines a page of a scrolling dialog holds.
    pub fn handle_key(&mut self, key: &KeyEvent, page: usize) -> DialogOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return match self {
                Dialog::Conflict(c) => answer(c, ConflictPolicy::Skip),
                _ => DialogOutcome::Close,
            };
        }
        match self {
            Dialog::Confirm(c) => match key.code {
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') => DialogOutcome::Close,
                KeyCode::Char('y') | KeyCode::Char('Y') => confirm(c),
                KeyCode::Enter if c.focus_ok => confirm(c),
                KeyCode::Enter => DialogOutcome::Close,
                KeyCode::Tab
                | KeyCode::BackTab
                | KeyCode::Left
                | KeyCode::Right
                | KeyCode::Char('h')
                | KeyCode::Char('l') => {
                    c.focus_ok = !c.focus_ok;
                    DialogOutcome::Stay
                }
                _ => DialogOutcome::Stay,
            },
            Dialog::Input(d) => match key.code {
                KeyCode::Esc => DialogOutcome::Close,
                KeyCode::Enter => {
                    let text = d.input.text().trim().to_string();
                    if text.is_empty() {
                        DialogOutcome::Stay
                    } else {
                        DialogOutcome::Submit(text, d.purpose.clone())
                    }
                }
                _ => {
                    d.input.handle_key(key);
                    DialogOutcome::Stay
                }
            },
            Dialog::Conflict(c) => match key.code {
                KeyCode::Char('s') | KeyCode::Char('S') | KeyCode::Esc => {
                    answer(c, ConflictPolicy::Skip)
                }
                KeyCode::Char('r') | KeyCode::Char('R') => answer(c, ConflictPolicy::Rename),
                KeyCode::Char('o') | KeyCode::Char('O') => answer(c, ConflictPolicy::Overwrite),
                KeyCode::Char('a') | KeyCode::Char('A') | KeyCode::Char(' ') => {
                    c.for_all = !c.for_all;
                    DialogOutcome::Stay
                }
                _ => DialogOutcome::Stay,
            },
            Dialog::Message { .. } => match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char(' ') => {
                    DialogOutcome::Close
                }
                _ => DialogOutcome::Stay,
            },
            Dialog::Links { scroll, .. } | Dialog::Help { scroll } => match key.code {
                KeyCode::Esc
                | KeyCode::Enter
                | KeyCode::Char('q')
                | KeyCode::Char('?')
                | KeyCode::F(1) => DialogOutcome::Close,
                KeyCode::Up | KeyCode::Char('k') => {
                    *scroll = scroll.saturating_sub(1);
                    DialogOutcome::Stay
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    *scroll += 1;
                    DialogOutcome::Stay
                }
                KeyCode::PageUp => {
                    *scroll = scroll.saturating_sub(page.max(1));
                    DialogOutcome::Stay
                }
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    *scroll += page.max(1);
                    DialogOutcome::Stay
                }
                KeyCode::Home | KeyCode::Char('g') => {
                    *scroll = 0;
                    DialogOutcome::Stay
                }
                KeyCode::End | KeyCode::Char('G') => {
                    *scroll = usize::MAX / 2;
                    DialogOutcome::Stay
                }
                _ => DialogOutcome::Stay,
            },
        }
    }
}

fn confirm(c: &Confirm) -> DialogOutcome {
    match &c.then {
        OnConfirm::Effects(e) => DialogOutcome::Effects(e.clone()),
        OnConfirm::Quit => DialogOutcome::Quit,
    }
}

fn answer(c: &ConflictDialog, policy: ConflictPolicy) -> DialogOutcome {
    let answer = ConflictAnswer {
        policy,
        for_all: c.for_all,
    };
    DialogOutcome::Effects(vec![Effect::Control(Control::Answer(
        c.question.job,
        answer,
    ))])
}
