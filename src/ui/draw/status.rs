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
        let mut parts: Vec<(String, Style)> = Vec::new();
        if let Some(m) = message {
            parts.push((
                for_terminal(&m.text).into_owned(),
                if m.error { theme.error } else { theme.status },
            ));
        } else {
            if c.running + c.waiting > 0 {
                parts.push((
                    format!("{} {}", arrows(app), c.running + c.waiting),
                    theme.status,
                ));
                parts.push((Rate(speed).to_string(), theme.status));
            }
            if let Some(p) = &pace {
                parts.push((p.clone(), theme.warn));
            }
            if let Some(legend) = crate::ui::compare::legend(app) {
                parts.insert(0, (legend.trim().to_string(), theme.key));
            }
            if app.account.info.is_none() && parts.is_empty() {
                parts.push(("account: loading...".to_string(), theme.status));
            }
            if let Some(info) = &app.account.info {
                if let (Some(used), Some(total)) = info.usage()
                    && total > 0
                {
                    parts.push((
                        format!("{}% of {}", used * 100 / total, Bytes(total)),
                        theme.status,
                    ));
                }
                if let Some(warn) = warning(info) {
                    parts.push((warn.to_string(), theme.error));
                }
            }
        }
        let room = w.saturating_sub(width(&help));
        let mut used = 0;
        left.push(Span::raw(" "));
        for (i, (text, style)) in parts.into_iter().enumerate() {
            let sep = if i > 0 { " · " } else { "" };
            let text = cut(&text, room.saturating_sub(used + sep.len() + 1));
            if text.is_empty() {
                break;
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
                right.push(Span::raw(format!(
                    " {} {} · {} ",
                    arrows(app),
                    c.running + c.waiting,
                    Rate(speed)
                )));
            }
        }
        if let Some(legend) = crate::ui::compare::legend(app) {
            right.insert(0, Span::styled(legend, theme.key));
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
            None => left.push(Span::raw(" account: loading...")),
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
    let mut right_room = right_w;
    for s in right {
        let text = cut(&s.content, right_room);
        right_room -= width(&text);
        spans.push(Span::styled(text, s.style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.status), area);
}

/// `up`, `down` or `up/down`, from the directions that are moving.
fn arrows(app: &App) -> &'static str {
    use crate::transfer::{Direction, JobState};
    let moving = |d: Direction| {
        app.transfers.jobs.iter().any(|j| {
            j.direction == d
                && matches!(j.state, JobState::Running { .. } | JobState::Waiting { .. })
        })
    };
    match (moving(Direction::Up), moving(Direction::Down)) {
        (true, true) => "up/down",
        (false, true) => "down",
        _ => "up",
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
