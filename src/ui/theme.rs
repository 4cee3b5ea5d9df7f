//! Colours and text styles. Named colours only (they work in 16-colour terminals); `mono` and
//! NO_COLOR use modifiers alone (bold, reverse, dim, underline).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub border_active: Style,
    pub border_inactive: Style,
    pub title_active: Style,
    pub title_inactive: Style,
    pub header: Style,
    pub cursor_active: Style,
    pub cursor_inactive: Style,
    pub marked: Style,
    pub dir: Style,
    pub file: Style,
    pub dim: Style,
    pub gauge: Style,
    pub error: Style,
    pub warn: Style,
    pub ok: Style,
    pub status: Style,
    pub key: Style,
    pub dialog: Style,
    pub button: Style,
    pub button_focused: Style,
}

impl Theme {
    /// The named theme; unknown names fall back to `default`, and `no_color` always wins.
    pub fn named(name: &str, no_color: bool) -> Theme {
        if no_color || name.eq_ignore_ascii_case("mono") {
            return Theme::mono();
        }
        Theme::default_colors()
    }

    pub fn default_colors() -> Theme {
        let plain = Style::default();
        Theme {
            border_active: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border_inactive: plain.fg(Color::DarkGray),
            title_active: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title_inactive: plain.fg(Color::Gray),
            header: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            cursor_active: plain.fg(Color::Black).bg(Color::Cyan),
            cursor_inactive: plain.bg(Color::DarkGray),
            marked: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            dir: plain.fg(Color::Blue).add_modifier(Modifier::BOLD),
            file: plain,
            dim: plain.fg(Color::DarkGray),
            gauge: plain.fg(Color::Green),
            error: plain.fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: plain.fg(Color::Yellow),
            ok: plain.fg(Color::Green),
            status: plain.bg(Color::Blue).fg(Color::White),
            key: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            dialog: plain,
            button: plain,
            button_focused: plain
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        }
    }

    pub fn mono() -> Theme {
        let plain = Style::default();
        let bold = plain.add_modifier(Modifier::BOLD);
        Theme {
            border_active: bold,
            border_inactive: plain.add_modifier(Modifier::DIM),
            title_active: bold.add_modifier(Modifier::REVERSED),
            title_inactive: plain,
            header: bold,
            cursor_active: plain.add_modifier(Modifier::REVERSED),
            cursor_inactive: plain.add_modifier(Modifier::UNDERLINED),
            marked: bold,
            dir: bold,
            file: plain,
            dim: plain.add_modifier(Modifier::DIM),
            gauge: plain,
            error: bold.add_modifier(Modifier::REVERSED),
            warn: bold,
            ok: plain,
            status: plain.add_modifier(Modifier::REVERSED),
            key: bold,
            dialog: plain,
            button: plain,
            button_focused: bold.add_modifier(Modifier::REVERSED),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::default_colors()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_means_no_colour() {
        let t = Theme::named("default", true);
        for s in [
            t.border_active,
            t.cursor_active,
            t.error,
            t.status,
            t.marked,
        ] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert_eq!(Theme::named("nope", false), Theme::default_colors());
    }
}
