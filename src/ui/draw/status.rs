//! The status bar: who, which offer until when, storage used against the quota, warnings,
//! transfers and their speed, the pacer's wait, the help key; a recent message takes the right part.

use crate::api::{AccountInfo, PaceStatus};
use crate::sanitize::for_terminal;
use crate::ui::app::App;
use crate::ui::keymap::{Cmd, GlobalCmd};
use crate::ui::layout::TWO_PANES_MIN_WIDTH;
use crate::ui::text::{countdown, cut, gauge, service_day, width};
use crate::units::{Bytes, Rate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Account values older than this show their age.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(10 * 60);

pub(super) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let w = area.width as usize;
    let narrow = area.width < TWO_PANES_MIN_WIDTH;
    let help = format!(" {} help ", app.keymap.hint(Cmd::Global(GlobalCmd::Help)));
    let mut right: Vec<Span> = Vec::new();
    let mut left: Vec<Span> = Vec::new();

    let c = app.transfers.counts();
    let speed = app.transfers.total_speed();
    let pace = match &app.pace {
        PaceStatus::Waiting { until, reason } => {
            let mut s = format!("waiting: {}", for_terminal(reason));
            if *until > app.now {
                s.push_str(&format!(
                    ", next try in {}",
                    countdown(until.duration_since(app.now))
                ));
            }
            Some(s)
        }
        PaceStatus::Ready => None,
    };
    let message = app.message.as_ref().filter(|m| m.until > app.now);

    if narrow {
        // (text, a shorter form for when it does not fit, style), most important first.
        let mut parts: Vec<(String, Option<String>, Style)> = Vec::new();
        if let Some(m) = message {
            let style = if m.error { theme.error } else { theme.status };
            parts.push((for_terminal(&m.text).into_owned(), None, style));
        } else {
            if c.running + c.waiting > 0 {
                let moving = format!("{} {}", arrows(app), c.running + c.waiting);
                parts.push((moving, None, theme.status));
                if speed > 0.0 {
                    parts.push((Rate(speed).to_string(), None, theme.status));
                }
            }
            if let Some(p) = &pace {
                let short = match &app.pace {
                    PaceStatus::Waiting { until, .. } if *until > app.now => {
                        format!("wait {}", countdown(until.duration_since(app.now)))
                    }
                    _ => "waiting".to_string(),
                };
                parts.push((p.clone(), Some(short), theme.warn));
            }
            if let Some(legend) = crate::ui::compare::legend(app) {
                parts.insert(0, (legend.trim().to_string(), None, theme.key));
            }
            if let Some(line) = crate::ui::sync_dialog::legend(app) {
                parts.insert(0, (line.trim().to_string(), None, theme.key));
            }
            if app.account.info.is_none() && parts.is_empty() {
                parts.push(match &app.account.error {
                    Some(e) => (format!("account: {}", for_terminal(e)), None, theme.error),
                    None => ("account: loading...".to_string(), None, theme.status),
                });
            }
            if let Some(info) = &app.account.info {
                if let Some(warn) = warning(info) {
                    parts.push((warn.to_string(), None, theme.error));
                }
                if let (Some(used), Some(total)) = info.usage()
                    && total > 0
                {
                    let pct = used * 100 / total;
                    parts.push((
                        format!("{pct}% of {}", Bytes(total)),
                        Some(format!("{pct}%")),
                        theme.status,
                    ));
                }
            }
        }
        // A part shows whole (or in its short form) or not at all; only the first may be cut.
        let room = w.saturating_sub(width(&help) + 1);
        let mut used = 0;
        left.push(Span::raw(" "));
        for (text, short, style) in parts {
            let sep = if used > 0 { " · " } else { "" };
            let free = room.saturating_sub(used + width(sep));
            let text = if width(&text) <= free {
                text
            } else if let Some(s) = short.filter(|s| width(s) <= free) {
                s
            } else if used == 0 {
                cut(&text, free)
            } else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            used += width(sep) + width(&text);
            left.push(Span::raw(sep));
            left.push(Span::styled(text, style));
        }
        right.push(Span::styled(help, theme.key));
    } else {
        if let Some(m) = message {
            right.push(Span::styled(
                format!(" {} ", for_terminal(&m.text)),
                if m.error {
                    theme.error
                } else {
                    Style::default()
                },
            ));
        } else {
            if let Some(p) = pace {
                right.push(Span::styled(format!(" {p} "), theme.warn));
            }
            if c.running + c.waiting > 0 {
                let mut s = format!(" {} {}", arrows(app), c.running + c.waiting);
                if speed > 0.0 {
                    s.push_str(&format!(" · {}", Rate(speed)));
                }
                s.push(' ');
                right.push(Span::raw(s));
            }
        }
        if let Some(legend) = crate::ui::compare::legend(app) {
            right.insert(0, Span::styled(legend, theme.key));
        }
        if let Some(line) = crate::ui::sync_dialog::legend(app) {
            right.insert(0, Span::styled(line, theme.key));
        }
        right.push(Span::styled(help, theme.key));
        // The right part wins; the account fits in what remains, dropping its least useful parts.
        let right_w: usize = right.iter().map(|s| width(&s.content)).sum();
        match &app.account.info {
            Some(info) => {
                let mut parts = account_parts(info, theme);
                // Values kept through refusals (#38) say how old they are once that matters.
                if let Some(t) = app.account.fetched
                    && app.now.duration_since(t) >= STALE_AFTER
                {
                    let mins = app.now.duration_since(t).as_secs() / 60;
                    parts.push((1, Span::styled(format!(" ({mins} min ago) "), theme.dim)));
                }
                left.extend(fit_parts(parts, w.saturating_sub(right_w)));
            }
            None => left.push(match &app.account.error {
                Some(e) => Span::styled(format!(" account: {} ", for_terminal(e)), theme.error),
                None => Span::raw(" account: loading..."),
            }),
        }
    }

    // The right part wins: the left is cut to what remains.
    let right_w: usize = right.iter().map(|s| width(&s.content)).sum();
    let right_w = right_w.min(w);
    let mut room = w - right_w;
    let mut spans = Vec::new();
    for s in left {
        let text = cut(&s.content, room);
        room -= width(&text);
        spans.push(Span::styled(text, s.style));
        if room == 0 {
            break;
        }
    }
    spans.push(Span::raw(" ".repeat(room)));
    // Within the right part, the help key (last) always shows whole; a long message before it
    // is cut instead.
    let last_w = right.last().map_or(0, |s| width(&s.content)).min(right_w);
    let mut right_room = right_w - last_w;
    let n = right.len();
    for (i, s) in right.into_iter().enumerate() {
        let text = if i + 1 == n {
            cut(&s.content, last_w)
        } else {
            let t = cut(&s.content, right_room);
            right_room -= width(&t);
            t
        };
        spans.push(Span::styled(text, s.style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.status), area);
}

/// What moves: `up`, `down`, `url` (a remote upload), or several joined by `/`.
fn arrows(app: &App) -> String {
    use crate::transfer::{Direction, JobState};
    let moving = |d: Direction| {
        app.transfers.jobs.iter().any(|j| {
            j.direction == d
                && matches!(j.state, JobState::Running { .. } | JobState::Waiting { .. })
        })
    };
    let words: Vec<&str> = [
        (Direction::Up, "up"),
        (Direction::Down, "down"),
        (Direction::Remote, "url"),
    ]
    .into_iter()
    .filter(|(d, _)| moving(*d))
    .map(|(_, w)| w)
    .collect();
    if words.is_empty() {
        "up".to_string()
    } else {
        words.join("/")
    }
}

fn warning(info: &AccountInfo) -> Option<&'static str> {
    if info.overquota {
        Some("over quota!")
    } else if info.upload_forbidden {
        Some("uploads forbidden!")
    } else {
        None
    }
}

/// The account's parts in screen order, each with how much it matters: when the bar is too
/// narrow the least important go first (gauge, then email and hot storage, then the offer).
fn account_parts(info: &AccountInfo, theme: &crate::ui::theme::Theme) -> Vec<(u8, Span<'static>)> {
    let mut out = Vec::new();
    if let Some(email) = &info.email {
        out.push((2, Span::raw(format!(" {} ", for_terminal(email)))));
    }
    if let Some(offer) = &info.offer {
        let mut s = format!(" {}", for_terminal(&offer.to_string()));
        if let Some(end) = &info.subscription_end {
            s.push_str(&format!(" to {}", for_terminal(service_day(end))));
        }
        s.push(' ');
        out.push((3, Span::raw(s)));
    }
    match info.usage() {
        (Some(used), Some(total)) if total > 0 => {
            let ratio = used as f64 / total as f64;
            out.push((
                4,
                Span::raw(format!(" {} of {} ", Bytes(used), Bytes(total))),
            ));
            out.push((1, Span::styled(gauge(ratio, 12), theme.gauge)));
            out.push((
                4,
                Span::raw(format!(" {}% ", (ratio * 100.0).floor() as u64)),
            ));
        }
        (Some(used), _) => out.push((4, Span::raw(format!(" {} used ", Bytes(used))))),
        _ => {}
    }
    if let Some(hot) = info.hot_storage.filter(|h| *h > 0) {
        out.push((2, Span::raw(format!(" hot {} ", Bytes(hot)))));
    }
    if let Some(w) = warning(info) {
        out.push((5, Span::styled(format!(" {w} "), theme.error)));
    }
    out
}

/// Drops the least important parts until the rest fits in `room` columns.
fn fit_parts(mut parts: Vec<(u8, Span<'static>)>, room: usize) -> Vec<Span<'static>> {
    let total = |p: &[(u8, Span)]| p.iter().map(|(_, s)| width(&s.content)).sum::<usize>();
    while total(&parts) > room {
        let Some(least) = parts.iter().map(|(p, _)| *p).min() else {
            break;
        };
        if parts.len() == 1 {
            break;
        }
        if let Some(i) = parts.iter().rposition(|(p, _)| *p == least) {
            parts.remove(i);
        }
    }
    parts.into_iter().map(|(_, s)| s).collect()
}
