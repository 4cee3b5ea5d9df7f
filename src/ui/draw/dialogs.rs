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
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub(super) fn draw(app: &App, dialog: &Dialog, frame: &mut Frame, screen: Rect) {
    let theme = &app.theme;
    match dialog {
        Dialog::Confirm(c) => confirm(c, theme, frame, screen),
        Dialog::Input(d) => input(d, theme, frame, screen),
        Dialog::Conflict(c) => conflict(c, theme, frame, screen),
        Dialog::Message { title, text, error } => {
            let text = for_terminal(text);
            let w = (width(&text) + 4).clamp(30, 70) as u16;
            let inner_w = w.saturating_sub(4).max(1) as usize;
            let lines_needed = wrap(&text, inner_w).len() as u16 + 2;
            let style = if *error {
                theme.error
            } else {
                theme.border_active
            };
            let inner = boxed(frame, screen, w, lines_needed + 2, title, style);
            let body = vec![
                Line::from(text.into_owned()),
                Line::from(""),
                Line::from(Span::styled("Enter: close", theme.dim)),
            ];
            frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), pad(inner));
        }
        Dialog::Links { links, scroll } => {
            let mut lines: Vec<Line> = Vec::new();
            for (name, url) in links {
                lines.push(Line::from(vec![Span::styled(
                    for_terminal(name).into_owned(),
                    theme.header,
                )]));
                lines.push(Line::from(format!("  {}", for_terminal(url))));
            }
            let title = format!(
                "{} link{} copied to the clipboard",
                links.len(),
                if links.len() == 1 { "" } else { "s" }
            );
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
            let help = help_lines(&app.keymap);
            // The keys column is as wide as the widest keys, within reason.
            let keys_w = help
                .iter()
                .map(|l| match l {
                    HelpLine::Key { keys, .. } => width(keys),
                    _ => 0,
                })
                .max()
                .unwrap_or(10)
                .min((screen.width as usize / 3).max(8));
            let lines = help
                .into_iter()
                .map(|l| match l {
                    HelpLine::Title(t) => Line::from(Span::styled(t, theme.header)),
                    HelpLine::Blank => Line::from(""),
                    HelpLine::Key { keys, desc, name } => {
                        let mut spans = vec![
                            Span::styled(format!(" {} ", fit(&keys, keys_w)), theme.key),
                            Span::raw(desc),
                        ];
                        if let Some(n) = name {
                            spans.push(Span::styled(format!("  [{n}]"), theme.dim));
                        }
                        Line::from(spans)
                    }
                })
                .collect();
            scrolling(
                frame,
                screen,
                "Keys",
                lines,
                *scroll,
                theme,
                "Up/Down/PgUp/PgDn scroll, Esc close",
            );
        }
    }
}

/// A centred box of at most `w` x `h`, cleared, with a title; returns the inside.
fn boxed(frame: &mut Frame, screen: Rect, w: u16, h: u16, title: &str, border: Style) -> Rect {
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
fn pad(r: Rect) -> Rect {
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

/// A tall box whose lines scroll; the scroll is clamped here (the state may ask for too much).
fn scrolling(
    frame: &mut Frame,
    screen: Rect,
    title: &str,
    lines: Vec<Line<'_>>,
    scroll: usize,
    theme: &Theme,
    foot: &str,
) {
    let w = screen.width.saturating_sub(4).clamp(1, 90);
    let h = screen.height.saturating_sub(2).max(1);
    let inner = boxed(frame, screen, w, h, title, theme.border_active);
    if inner.height == 0 {
        return;
    }
    let body_h = inner.height.saturating_sub(1) as usize;
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
        cut(&format!("{foot}{more}"), inner.width as usize),
        theme.dim,
    )));
    frame.render_widget(Paragraph::new(shown), inner);
}
