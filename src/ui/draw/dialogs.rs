//! Dialogs drawn over the screen, centred, cut to fit any terminal size.

use super::help::{HelpLine, help_lines};
use crate::sanitize::for_terminal;
use crate::transfer::ConflictQuestion;
use crate::ui::app::App;
use crate::ui::dialog::{Confirm, ConflictDialog, Dialog, InputDialog};
use crate::ui::text::{cut, cut_left, fit, service_day, width, wrap};
use crate::ui::theme::Theme;
use crate::units::Bytes;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub(super) fn draw(app: &App, dialog: &Dialog, frame: &mut Frame, screen: Rect) {
    let theme = &app.theme;
    match dialog {
        Dialog::Confirm(c) => confirm(c, theme, frame, screen),
        Dialog::Input(d) => input(d, theme, frame, screen),
        Dialog::Conflict(c) => conflict(c, theme, frame, screen),
        Dialog::Message { title, text, error } => {
            let text = for_terminal(text);
            // Wrapped at the width the box really gets, so the closing hint always shows.
            let w = ((width(&text) + 4).clamp(30, 70) as u16).min(screen.width);
            let inner_w = w.saturating_sub(4).max(1) as usize;
            let mut body: Vec<Line> = wrap(&text, inner_w).into_iter().map(Line::from).collect();
            body.push(Line::from(""));
            body.push(Line::from(Span::styled("Enter: close", theme.dim)));
            let style = if *error {
                theme.error
            } else {
                theme.border_active
            };
            let inner = boxed(frame, screen, w, body.len() as u16 + 2, title, style);
            // On a very short screen the hint matters more than the blank line above it.
            if body.len() > inner.height as usize && body.len() >= 2 {
                body.remove(body.len() - 2);
            }
            // Still too tall: the text's end goes, the hint stays.
            let room = inner.height as usize;
            if body.len() > room
                && let Some(hint) = body.pop()
            {
                body.truncate(room.saturating_sub(1));
                body.push(hint);
            }
            frame.render_widget(Paragraph::new(body), pad(inner));
        }
        Dialog::Links { links, scroll } => {
            let title = format!(
                "{} link{} copied to the clipboard",
                links.len(),
                if links.len() == 1 { "" } else { "s" }
            );
            let lines = links_text(links, theme);
            scrolling(
                frame,
                screen,
                &title,
                lines,
                *scroll,
                theme,
                "Esc: close  (OSC 52: the terminal must allow it)",
            );
        }
        Dialog::Help { scroll } => {
            let body = scroll_box(screen, usize::MAX).1;
            let lines = help_text(&app.keymap, theme, body.width as usize);
            scrolling(
                frame,
                screen,
                "Keys",
                lines,
                *scroll,
                theme,
                "Esc: close  Up/Down/PgUp/PgDn: scroll",
            );
        }
    }
}

/// How far a scrolling dialog can scroll on this screen, and how many lines a page holds: the
/// state clamps with these, so they must follow what `scrolling` draws.
pub fn scroll_limits(app: &App, dialog: &Dialog) -> Option<(usize, usize)> {
    let screen = Rect::new(0, 0, app.width, app.height);
    let n = match dialog {
        Dialog::Links { links, .. } => links_text(links, &app.theme).len(),
        Dialog::Help { .. } => {
            let body = scroll_box(screen, usize::MAX).1;
            help_text(&app.keymap, &app.theme, body.width as usize).len()
        }
        _ => return None,
    };
    let page = (scroll_box(screen, n).1.height as usize).max(1);
    Some((n.saturating_sub(page), page))
}

fn links_text<'a>(links: &[(String, String)], theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for (name, url) in links {
        lines.push(Line::from(Span::styled(
            for_terminal(name).into_owned(),
            theme.header,
        )));
        lines.push(Line::from(format!("  {}", for_terminal(url))));
    }
    lines
}

/// The live keymap as lines `width` columns wide: a key column, then the description, wrapped
/// under itself when the screen is narrow (so nothing is cut), with the action's name last.
fn help_text<'a>(keymap: &crate::ui::keymap::Keymap, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let help = help_lines(keymap);
    // The keys column is as wide as the widest keys, within a third of the box.
    let keys_w = help
        .iter()
        .map(|l| match l {
            HelpLine::Key { keys, .. } => super::super::text::width(keys),
            _ => 0,
        })
        .max()
        .unwrap_or(10)
        .min((width / 3).max(6));
    // Narrow: each key on a line of its own, its description indented below it, so that
    // neither is cut.
    let narrow = width < 56;
    let (keys_w, indent) = if narrow {
        (width.saturating_sub(2), 4)
    } else {
        (keys_w, keys_w + 2)
    };
    let desc_w = width.saturating_sub(indent).max(8);
    let mut out = Vec::new();
    for l in help {
        match l {
            HelpLine::Title(t) => out.push(Line::from(Span::styled(t, theme.header))),
            HelpLine::Blank => out.push(Line::from("")),
            HelpLine::Key { keys, desc, name } => {
                let text = match name {
                    Some(n) => format!("{desc}  [{n}]"),
                    None => desc,
                };
                if narrow {
                    out.push(Line::from(Span::styled(
                        format!(" {}", cut(&keys, keys_w)),
                        theme.key,
                    )));
                }
                for (i, part) in wrap(&text, desc_w).into_iter().enumerate() {
                    let lead = if i == 0 && !narrow {
                        format!(" {} ", fit(&keys, keys_w))
                    } else {
                        " ".repeat(indent)
                    };
                    // The action's name, in the dim style, wherever the wrap put it.
                    let mut spans = vec![Span::styled(lead, theme.key)];
                    match part.find("  [") {
                        Some(at) if name.is_some() && part.ends_with(']') => {
                            spans.push(Span::raw(part[..at].to_string()));
                            spans.push(Span::styled(part[at..].to_string(), theme.dim));
                        }
                        _ if name.is_some() && part.starts_with('[') && part.ends_with(']') => {
                            spans.push(Span::styled(part, theme.dim));
                        }
                        _ => spans.push(Span::raw(part)),
                    }
                    out.push(Line::from(spans));
                }
            }
        }
    }
    out
}

/// A centred box of at most `w` x `h`, cleared, with a title; returns the inside.
pub(super) fn boxed(
    frame: &mut Frame,
    screen: Rect,
    w: u16,
    h: u16,
    title: &str,
    border: Style,
) -> Rect {
    let w = w.min(screen.width);
    let h = h.min(screen.height);
    let area = Rect::new(
        screen.x + (screen.width - w) / 2,
        screen.y + (screen.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, area);
    // A wide character just left of the box would overlap its border: blank it.
    if area.x > 0 {
        let buf = frame.buffer_mut();
        for y in area.y..area.bottom() {
            let cell = &mut buf[(area.x - 1, y)];
            if width(cell.symbol()) > 1 {
                cell.set_symbol(" ");
            }
        }
    }
    let title = cut(&for_terminal(title), (w as usize).saturating_sub(4));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::from(format!(" {title} ")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// One column of room on each side of a dialog's text.
pub(super) fn pad(r: Rect) -> Rect {
    if r.width > 2 {
        Rect::new(r.x + 1, r.y, r.width - 2, r.height)
    } else {
        r
    }
}

fn buttons(labels: &[(&str, bool)], theme: &Theme, w: usize) -> Line<'static> {
    let mut spans = Vec::new();
    let total: usize = labels.iter().map(|(l, _)| width(l) + 4).sum::<usize>()
        + 3 * labels.len().saturating_sub(1);
    spans.push(Span::raw(" ".repeat(w.saturating_sub(total) / 2)));
    for (i, (label, focused)) in labels.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("   "));
        }
        spans.push(Span::styled(
            format!("[ {label} ]"),
            if *focused {
                theme.button_focused
            } else {
                theme.button
            },
        ));
    }
    Line::from(spans)
}

fn confirm(c: &Confirm, theme: &Theme, frame: &mut Frame, screen: Rect) {
    let content_w = c
        .names
        .iter()
        .map(|n| width(n) + 2)
        .chain(c.lines.iter().map(|l| width(l)))
        .chain([width(&c.title) + 2, 30])
        .max()
        .unwrap_or(30);
    let w = (content_w + 4).min(76).min(screen.width as usize) as u16;
    let iw = (w as usize).saturating_sub(4).max(1);
    let mut text: Vec<Line> = Vec::new();
    for l in &c.lines {
        let style = if c.danger && l.contains("cannot be undone") {
            theme.error
        } else {
            Style::default()
        };
        text.extend(
            wrap(l, iw)
                .into_iter()
                .map(|s| Line::from(Span::styled(s, style))),
        );
    }
    let mut names: Vec<Line> = c
        .names
        .iter()
        .map(|n| Line::from(format!("  {}", cut(n, iw.saturating_sub(2)))))
        .collect();
    let h = (names.len() + text.len() + 4) as u16;
    let border = if c.danger {
        theme.error
    } else {
        theme.border_active
    };
    let inner = pad(boxed(frame, screen, w, h, &c.title, border));
    let iw = inner.width as usize;
    // On a short screen the buttons and the sentences matter most: names go first, then the gap.
    let room = inner.height as usize;
    let mut gap = true;
    while names.len() + text.len() + 1 + usize::from(gap) > room && (gap || !names.is_empty()) {
        if gap {
            gap = false;
        } else {
            names.pop();
            if let Some(last) = names.last_mut() {
                *last = Line::from("  …");
            }
        }
    }
    let mut lines = names;
    lines.extend(text);
    if gap {
        lines.push(Line::from(""));
    }
    let button = buttons(&[(&c.ok, c.focus_ok), (&c.cancel, !c.focus_ok)], theme, iw);
    lines.truncate(room.saturating_sub(1));
    lines.push(button);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn input(d: &InputDialog, theme: &Theme, frame: &mut Frame, screen: Rect) {
    let w = (width(&d.label) + 6).clamp(50, 76) as u16;
    let inner = pad(boxed(frame, screen, w, 5, &d.title, theme.border_active));
    if inner.height == 0 || inner.width < 3 {
        return;
    }
    let iw = inner.width as usize;
    let text = for_terminal(d.input.text()).into_owned();
    let before = for_terminal(d.input.before_cursor()).into_owned();
    // Scroll the field sideways so the cursor always shows.
    let field_w = iw.saturating_sub(1).max(1);
    let (shown, cursor_x) = if width(&before) < field_w {
        (cut(&text, field_w), width(&before))
    } else {
        let left = cut_left(&before, field_w);
        let x = width(&left);
        let after: String = text[before.len().min(text.len())..].to_string();
        (
            format!("{left}{}", cut(&after, field_w.saturating_sub(x))),
            x,
        )
    };
    let lines = vec![
        Line::from(cut(&for_terminal(&d.label), iw)),
        Line::from(Span::styled(fit(&shown, iw), theme.cursor_inactive)),
        Line::from(Span::styled(cut("Enter: ok   Esc: cancel", iw), theme.dim)),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
    if inner.height >= 2 {
        frame.set_cursor_position((inner.x + cursor_x.min(iw - 1) as u16, inner.y + 1));
    }
}

fn side(label: &str, (size, date): &(u64, Option<String>)) -> String {
    match date {
        Some(d) => format!("{label} {}, {}", Bytes(*size), for_terminal(service_day(d))),
        None => format!("{label} {}", Bytes(*size)),
    }
}

fn conflict(c: &ConflictDialog, theme: &Theme, frame: &mut Frame, screen: Rect) {
    let ConflictQuestion {
        name,
        existing,
        incoming,
        ..
    } = &c.question;
    let title = format!("Already there: {}", for_terminal(name));
    let h = if screen.width >= 52 { 6 } else { 7 };
    let inner = pad(boxed(frame, screen, 56, h, &title, theme.warn));
    let iw = inner.width as usize;
    let check = if c.for_all { "[x]" } else { "[ ]" };
    let choices = vec![
        Span::styled("[S]", theme.key),
        Span::raw("kip  "),
        Span::styled("[R]", theme.key),
        Span::raw("ename  "),
        Span::styled("[O]", theme.key),
        Span::raw("verwrite  "),
    ];
    let all = vec![Span::styled(check, theme.key), Span::raw(" for [a]ll")];
    let mut lines = vec![
        Line::from(cut(&side("there:", existing), iw)),
        Line::from(cut(&side("new:  ", incoming), iw)),
        Line::from(""),
    ];
    if iw >= 44 {
        lines.push(Line::from([choices, all].concat()));
    } else {
        lines.push(Line::from(choices));
        lines.push(Line::from(all));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Where a scrolling dialog of `n` lines goes: the box (as tall as its lines, at most the screen
/// less a margin) and its body (padded, the footer line left out).
fn scroll_box(screen: Rect, n: usize) -> (Rect, Rect) {
    let w = screen.width.saturating_sub(4).clamp(1, 90);
    let most = screen.height.saturating_sub(2).max(1);
    let h = (n.saturating_add(3)).min(most as usize) as u16;
    let area = Rect::new(
        screen.x + (screen.width.saturating_sub(w)) / 2,
        screen.y + (screen.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    let inner = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let body = pad(Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(1),
    ));
    (area, body)
}

/// A box whose lines scroll; the scroll is clamped here too (the state may ask for too much).
fn scrolling(
    frame: &mut Frame,
    screen: Rect,
    title: &str,
    lines: Vec<Line<'_>>,
    scroll: usize,
    theme: &Theme,
    foot: &str,
) {
    let (area, body) = scroll_box(screen, lines.len());
    let inner = boxed(
        frame,
        screen,
        area.width,
        area.height,
        title,
        theme.border_active,
    );
    if inner.height == 0 {
        return;
    }
    let body_h = body.height as usize;
    let max_scroll = lines.len().saturating_sub(body_h);
    let scroll = scroll.min(max_scroll);
    let mut shown: Vec<Line> = lines.into_iter().skip(scroll).take(body_h).collect();
    let more = if scroll < max_scroll {
        format!(
            "  (more: {}%)",
            (scroll + body_h) * 100 / (max_scroll + body_h)
        )
    } else {
        String::new()
    };
    shown.resize(body_h, Line::from(""));
    shown.push(Line::from(Span::styled(
        cut(&format!("{foot}{more}"), body.width as usize),
        theme.dim,
    )));
    frame.render_widget(Paragraph::new(shown), pad(inner));
}
