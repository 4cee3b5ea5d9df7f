//! The transfer panel: one row per job with direction, name, a gauge, percent, bytes, speed, ETA,
//! or what the job waits for, in words.

use super::{Frame2, framed};
use crate::sanitize::for_terminal;
use crate::transfer::{Direction, JobState, JobView};
use crate::ui::app::{App, Focus};
use crate::ui::keymap::{Cmd, TransferCmd};
use crate::ui::text::{countdown, cut, fit, fit_right, gauge};
use crate::ui::theme::Theme;
use crate::units::{Bytes, Rate, clock};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::Instant;

pub(super) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let panel = &app.transfers;
    let focused = app.focus == Focus::Transfers;
    let c = panel.counts();
    // Only the counts that are not zero, in the order a user cares about them.
    let counts = [
        (c.running, "running"),
        (c.waiting, "waiting"),
        (c.queued, "queued"),
        (c.paused, "paused"),
        (c.failed, "failed"),
        (c.done, "done"),
    ];
    let said: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
    let title = if said.is_empty() {
        "Transfers".to_string()
    } else {
        format!("Transfers: {}", said.join(", "))
    };
    let hint = (focused && area.width >= 100).then(|| {
        let k = |t| app.keymap.hint(Cmd::Transfer(t));
        format!(
            " {} pause/resume  {} cancel  {}/{} order  {} clear ",
            k(TransferCmd::PauseResume),
            k(TransferCmd::Cancel),
            k(TransferCmd::MoveUp),
            k(TransferCmd::MoveDown),
            k(TransferCmd::ClearFinished)
        )
    });
    let room = (area.width as usize)
        .saturating_sub(4 + hint.as_ref().map_or(0, |h| crate::ui::text::width(h)));
    let title = format!(" {} ", cut(&title, room.max(1)));
    let inner = framed(
        frame,
        area,
        theme,
        Frame2 {
            title: vec![Span::raw(title)],
            hint,
            footer_left: None,
            footer_right: None,
            active: focused,
        },
    );
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let rows = inner.height as usize;
    let mut list = panel.list;
    if !focused
        && panel.jobs.len() > rows
        && let Some(first) = panel.jobs.iter().position(|j| !j.state.is_finished())
    {
        // Unfocused and too short for the whole queue: show the work still to do, not the
        // finished jobs at its head.
        list.offset = first.min(panel.jobs.len() - rows);
        list.cursor = list.offset;
    }
    let view = list.in_view(panel.jobs.len(), rows);
    let lines: Vec<Line> = panel
        .jobs
        .iter()
        .enumerate()
        .skip(view.offset)
        .take(rows)
        .map(|(i, job)| {
            let style = if i == view.cursor && focused {
                theme.cursor_active
            } else {
                Style::default()
            };
            let mut line = job_line(job, inner.width as usize, app.now, theme);
            // Fill the row so the cursor's highlight spans the panel.
            let fill = (inner.width as usize).saturating_sub(line.width());
            line.spans.push(Span::raw(" ".repeat(fill)));
            line.style(style)
        })
        .collect();
    if lines.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(" no transfers", theme.dim))),
            inner,
        );
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

/// One job as a row of `width` columns; columns drop from the right end when space runs out.
fn job_line(job: &JobView, width: usize, now: Instant, theme: &Theme) -> Line<'static> {
    let dir = match job.direction {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::Remote => "url",
    };
    // The name gives up some room (down to 16 columns) when that keeps the whole progress in the
    // row: its gauge, percent, bytes, speed and time left take 70.
    let natural = (width * 3 / 10).clamp(8, 40);
    let spare = width.saturating_sub(6 + 2 + 70);
    let name_w = if spare >= 16 {
        natural.min(spare)
    } else {
        natural
    }
    .min(width.saturating_sub(6));
    let mut spans = vec![
        Span::raw(format!(" {} ", fit(dir, 4))),
        Span::raw(fit(&for_terminal(&job.name), name_w)),
        Span::raw("  "),
    ];
    let rest = width.saturating_sub(6 + name_w + 2);
    match &job.state {
        JobState::Running {
            done,
            total,
            speed,
            eta,
        } => {
            if *total == 0 {
                // A remote upload (or a job that does not know its size yet): no gauge to draw.
                let mut text = "running".to_string();
                if *done > 0 {
                    text.push_str(&format!(", {} at {}", Bytes(*done), Rate(*speed)));
                }
                spans.push(Span::raw(cut(&text, rest)));
                return Line::from(spans);
            }
            let ratio = if *total > 0 {
                *done as f64 / *total as f64
            } else {
                0.0
            };
            let pct = format!("{:>3}%", (ratio * 100.0).floor().min(100.0) as u64);
            let bytes = format!("{} / {}", Bytes(*done), Bytes(*total));
            let left = eta
                .map(|e| format!("{} left", clock(e)))
                .unwrap_or_default();
            // In screen order, with how much each matters when the row is narrow.
            let parts: [(u8, String, Style); 5] = [
                (2, gauge(ratio, 20), theme.gauge),
                (5, pct, Style::default()),
                (1, fit_right(&bytes, 19), Style::default()),
                (
                    4,
                    // No speed before the first bytes move: a blank keeps the columns in line.
                    if *speed > 0.0 {
                        fit_right(&Rate(*speed).to_string(), 10)
                    } else {
                        " ".repeat(10)
                    },
                    Style::default(),
                ),
                (3, left, theme.dim),
            ];
            let mut keep = [true; 5];
            fn row_w(parts: &[(u8, String, Style); 5], keep: &[bool; 5]) -> usize {
                parts
                    .iter()
                    .zip(keep)
                    .filter(|(_, k)| **k)
                    .map(|(p, _)| crate::ui::text::width(&p.1) + 2)
                    .sum()
            }
            for prio in 1..=5 {
                if row_w(&parts, &keep) <= rest + 2 {
                    break;
                }
                for (i, p) in parts.iter().enumerate() {
                    if p.0 == prio {
                        keep[i] = false;
                    }
                }
            }
            // Whatever room is left widens a dropped gauge back in, narrower.
            let mut parts = parts;
            if !keep[0] {
                let spare = (rest + 2).saturating_sub(row_w(&parts, &keep) + 2);
                if spare >= 8 {
                    parts[0].1 = gauge(ratio, spare.min(20));
                    keep[0] = true;
                }
            }
            let mut first = true;
            for ((_, text, style), k) in parts.into_iter().zip(keep) {
                if !k || text.is_empty() {
                    continue;
                }
                if !first {
                    spans.push(Span::raw("  "));
                }
                first = false;
                spans.push(Span::styled(text, style));
            }
        }
        JobState::Paused { done, total } => {
            let text = if *total > 0 {
                let pct = (*done as f64 / *total as f64 * 100.0).floor() as u64;
                format!("paused at {pct}%, {} / {}", Bytes(*done), Bytes(*total))
            } else {
                "paused".to_string()
            };
            spans.push(Span::styled(cut(&text, rest), theme.warn));
        }
        JobState::Waiting { reason, until } => {
            let mut text = format!("waiting: {}", for_terminal(reason));
            if let Some(t) = until
                && *t > now
            {
                text.push_str(&format!(
                    ", next try in {}",
                    countdown(t.duration_since(now))
                ));
            }
            spans.push(Span::styled(cut(&text, rest), theme.warn));
        }
        JobState::Queued => spans.push(Span::styled("queued", theme.dim)),
        JobState::Done { result } => {
            let text = if result.is_empty() {
                "done".to_string()
            } else {
                format!("done: {}", for_terminal(result))
            };
            spans.push(Span::styled(cut(&text, rest), theme.ok));
        }
        JobState::Skipped { reason } => {
            let text = format!("skipped: {}", for_terminal(reason));
            spans.push(Span::styled(cut(&text, rest), theme.dim));
        }
        JobState::Failed { reason } => spans.push(Span::styled(
            cut(&format!("failed: {}", for_terminal(reason)), rest),
            theme.error,
        )),
        JobState::Cancelled => spans.push(Span::styled("cancelled", theme.dim)),
    }
    Line::from(spans)
}
