//! The help overlay's content: the live keymap, grouped by where keys apply, so a key the user
//! remapped shows as remapped; then the fixed keys of dialogs.

use crate::ui::keymap::{Context, Keymap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Title(&'static str),
    Key { keys: String, desc: String },
    Blank,
}

pub fn help_lines(keymap: &Keymap) -> Vec<HelpLine> {
    let mut out = Vec::new();
    for ctx in [
        Context::Global,
        Context::Lists,
        Context::Panes,
        Context::Local,
        Context::Remote,
        Context::Transfers,
    ] {
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
                desc: format!("{} [{}]", b.desc, b.name),
            });
        }
    }
    out.push(HelpLine::Blank);
    out.push(HelpLine::Title("Dialogs and text"));
    for (keys, desc) in [
        ("Enter, y", "confirm (Enter follows the focused button)"),
        ("Esc, n", "cancel"),
        ("Tab, Left, Right", "move between the buttons"),
        ("s, r, o", "conflict: skip, rename (keep both), overwrite"),
        ("a", "conflict: apply the answer to all later conflicts"),
        (
            "Left, Right, Home, End",
            "move in a text field (by character)",
        ),
        (
            "Backspace, Del, ctrl-u, ctrl-w",
            "delete a character, the start, a word",
        ),
        (
            "Up, Down, PgUp, PgDn",
            "scroll this help or a list of links",
        ),
    ] {
        out.push(HelpLine::Key {
            keys: keys.into(),
            desc: desc.into(),
        });
    }
    out.push(HelpLine::Blank);
    out.push(HelpLine::Title("Mouse"));
    out.push(HelpLine::Key {
        keys: "click".into(),
        desc: "focus a pane and select a row".into(),
    });
    out.push(HelpLine::Key {
        keys: "wheel".into(),
        desc: "scroll the list under the pointer".into(),
    });
    out
}
