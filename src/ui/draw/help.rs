//! The help overlay's content: the live keymap, grouped by where keys apply, so a key the user
//! remapped shows as remapped; then the fixed keys of dialogs and the mouse.

use crate::ui::keymap::{Context, Keymap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Title(&'static str),
    /// `name`: the action's name in the `[keys]` table, for keys that can be remapped.
    Key {
        keys: String,
        desc: String,
        name: Option<&'static str>,
    },
    Blank,
}

fn fixed(keys: &str, desc: &str) -> HelpLine {
    HelpLine::Key {
        keys: keys.into(),
        desc: desc.into(),
        name: None,
    }
}

pub fn help_lines(keymap: &Keymap) -> Vec<HelpLine> {
    let mut out = Vec::new();
    let contexts = [
        Context::Global,
        Context::Lists,
        Context::Panes,
        Context::Local,
        Context::Remote,
        Context::Transfers,
    ];
    for ctx in contexts {
        if !out.is_empty() {
            out.push(HelpLine::Blank);
        }
        out.push(HelpLine::Title(ctx.title()));
        for b in keymap.bindings.iter().filter(|b| b.ctx == ctx) {
            let keys = if b.keys.is_empty() {
                "(none)".to_string()
            } else {
                b.keys
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push(HelpLine::Key {
                keys,
                desc: b.desc.to_string(),
                name: Some(b.name),
            });
        }
    }
    out.push(HelpLine::Blank);
    out.push(HelpLine::Title("Dialogs and text"));
    out.push(fixed(
        "Enter, y",
        "confirm (Enter follows the focused button)",
    ));
    out.push(fixed("Esc, n", "cancel"));
    out.push(fixed("Tab, Left, Right", "move between the buttons"));
    out.push(fixed(
        "s, r, o",
        "conflict: skip, rename (keep both), overwrite",
    ));
    out.push(fixed(
        "a",
        "conflict: the same answer for all later conflicts",
    ));
    out.push(fixed(
        "f, d, s, r",
        "sync: flip the direction, delete extra files (capped), size only, plan again",
    ));
    out.push(fixed(
        "Left, Right, Home, End",
        "move in a text field, by character",
    ));
    out.push(fixed("Backspace, Del", "delete a character"));
    out.push(fixed(
        "ctrl-u, ctrl-w",
        "delete to the start, delete a word",
    ));
    out.push(fixed(
        "Up, Down, PgUp, PgDn",
        "scroll this help or a list of links",
    ));
    out.push(HelpLine::Blank);
    out.push(HelpLine::Title("Mouse"));
    out.push(fixed("click", "focus a pane and select a row"));
    out.push(fixed("wheel", "scroll the list under the pointer"));
    out
}
