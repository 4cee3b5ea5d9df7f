//! The sync dialog: which way and between which folders, then the plan (counts and a scrolling
//! list of paths), the progress while the plan is made or the run goes, the options and the keys.
//! On a short screen the list shrinks first, then the from/to lines go; counts, warnings,
//! options and keys always show.

use super::dialogs::{boxed, pad};
use crate::sanitize::for_terminal;
use crate::sync::{Direction, Report};
use crate::ui::app::App;
use crate::ui::sync_dialog::{DeleteWarning, PlanRow, Progress, Stage, SyncUi, ends, plan_rows};
use crate::ui::text::{cut, cut_left, fit, fit_right, width, wrap};
use crate::ui::theme::Theme;
use crate::units::Bytes;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Columns of the kind, and of the size or reason.
const KIND_W: usize = 8;
const DETAIL_W: usize = 10;

/// The dialog's parts before they are fitted to the screen.
struct Parts<'a> {
    title: String,
    /// From and to: dropped first on a short screen.
    head: Vec<Line<'a>>,
    /// Always shown, above the list.
    top: Vec<Line<'a>>,
    rows: Vec<PlanRow>,
    /// Always shown, below the list.
    bottom: Vec<Line<'a>>,
    border: Style,
}

/// Where the box goes and how many list rows it shows.
struct Fitted {
    area: Rect,
    show_head: bool,
    list: usize,
}

fn box_width(screen: Rect) -> u16 {
    screen
        .width
        .saturating_sub(4)
        .clamp(1, 76)
        .max(screen.width.min(40))
}

fn fit_parts(screen: Rect, parts: &Parts<'_>) -> Fitted {
    let w = box_width(screen).min(screen.width);
    let most = if screen.height > 12 {
        screen.height - 2
    } else {
        screen.height
    } as usize;
    let inner = most.saturating_sub(2);
    let fixed = parts.top.len() + parts.bottom.len();
    let want_list = parts.rows.len();
    // The list gets at least three rows (or all it has) before the from/to lines show.
    let with_head = fixed + parts.head.len();
    let show_head = inner >= with_head + want_list.min(3);
    let used = if show_head { with_head } else { fixed };
    let list = want_list.min(inner.saturating_sub(used));
    let h = (used + list + 2).min(most) as u16;
    let area = Rect::new(
        screen.x + (screen.width.saturating_sub(w)) / 2,
        screen.y + (screen.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    Fitted {
        area,
        show_head,
        list,
    }
}

/// Rows of the plan's list on screen now, for paging.
pub fn sync_page(app: &App) -> usize {
    let Some(s) = &app.sync else { return 1 };
    let screen = Rect::new(0, 0, app.width, app.height);
    let parts = parts(app, s, inner_width(screen));
    fit_parts(screen, &parts).list.max(1)
}

fn inner_width(screen: Rect) -> usize {
    (box_width(screen).min(screen.width) as usize)
        .saturating_sub(4)
        .max(1)
}

pub(super) fn draw(app: &App, s: &SyncUi, frame: &mut Frame, screen: Rect) {
    let iw = inner_width(screen);
    let parts = parts(app, s, iw);
    let fitted = fit_parts(screen, &parts);
    let inner = pad(boxed(
        frame,
        screen,
        fitted.area.width,
        fitted.area.height,
        &parts.title,
        parts.border,
    ));
    let room = inner.height as usize;
    let iw = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    if fitted.show_head {
        lines.extend(parts.head);
    }
    lines.extend(parts.top);
    let max_scroll = parts.rows.len().saturating_sub(fitted.list);
    let scroll = s.scroll.min(max_scroll);
    for r in parts.rows.iter().skip(scroll).take(fitted.list) {
        lines.push(row(r, iw, &app.theme));
    }
    if max_scroll > 0
        && fitted.list > 0
        && let Some(last) = lines.last_mut()
        && scroll < max_scroll
    {
        // The last visible row says that more follow.
        let more = format!("… {} more", parts.rows.len() - scroll - fitted.list + 1);
        *last = Line::from(Span::styled(cut(&more, iw), app.theme.dim));
    }
    // What must show goes at the bottom, whatever the list left.
    let keep = parts.bottom.len();
    lines.truncate(room.saturating_sub(keep));
    lines.extend(parts.bottom);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row<'a>(r: &PlanRow, iw: usize, theme: &Theme) -> Line<'a> {
    let style = match r.kind {
        "delete" => theme.error,
        "extra" | "skipped" => theme.dim,
        _ => Style::default(),
    };
    let detail_w = if iw >= 40 { DETAIL_W } else { 0 };
    let path_w = iw.saturating_sub(KIND_W + detail_w + usize::from(detail_w > 0));
    let path = for_terminal(&r.path);
    let mut spans = vec![
        Span::styled(fit(r.kind, KIND_W), style),
        Span::raw(fit(&cut_left(&path, path_w), path_w)),
    ];
    if detail_w > 0 {
        spans.push(Span::styled(
            format!(" {}", fit_right(&for_terminal(&r.detail), detail_w)),
            theme.dim,
        ));
    }
    Line::from(spans)
}

fn parts<'a>(app: &App, s: &SyncUi, iw: usize) -> Parts<'a> {
    let theme = &app.theme;
    let arrow = match s.pair.direction {
        Direction::Up => "local -> 1fichier",
        Direction::Down => "1fichier -> local",
    };
    let title = format!("Sync: {} {arrow}", s.verb().to_lowercase());
    let (from, to) = ends(app, &s.pair);
    let head = vec![
        Line::from(cut_left(&format!("from {}", for_terminal(&from)), iw)),
        Line::from(cut_left(&format!("to   {}", for_terminal(&to)), iw)),
    ];
    let mut top: Vec<Line> = Vec::new();
    let mut rows = Vec::new();
    let mut bottom: Vec<Line> = Vec::new();
    let mut border = theme.border_active;
    let options = options_lines(s, iw, theme);
    match &s.stage {
        Stage::Planning(p) => {
            top.extend(wrap_styled(
                &format!("making the plan: {}", planning_line(p)),
                iw,
                Style::default(),
            ));
            if let Some(n) = &p.notice {
                top.push(Line::from(Span::styled(
                    cut(&for_terminal(n), iw),
                    theme.dim,
                )));
            }
            top.push(Line::from(Span::styled(
                cut("nothing is copied before you confirm", iw),
                theme.dim,
            )));
            bottom.extend(options);
            bottom.push(keys_line(&["Esc: cancel"], iw, theme));
        }
        Stage::Failed(e) => {
            border = theme.error;
            for l in wrap(&for_terminal(e), iw) {
                top.push(Line::from(Span::styled(l, theme.error)));
            }
            bottom.extend(options);
            bottom.push(keys_line(&["Esc: close", "r: try again"], iw, theme));
        }
        Stage::Plan(r) => {
            top.push(Line::from(Span::styled(
                cut(&counts(r, s.choices.delete, iw), iw),
                theme.header,
            )));
            match s.warning() {
                Some(DeleteWarning::WillDelete(n)) => {
                    border = theme.error;
                    let text = format!(
                        "{n} file{} only on the destination will be DELETED: this cannot be undone",
                        if n == 1 { "" } else { "s" }
                    );
                    top.extend(wrap_styled(&text, iw, theme.error));
                }
                Some(DeleteWarning::OverCap { found, cap }) => {
                    let text = format!(
                        "{found} files only on the destination: more than the cap of {cap}, so nothing will be deleted (the sync subcommand takes --force)"
                    );
                    top.extend(wrap_styled(&text, iw, theme.warn));
                }
                None => {}
            }
            if r.unverified > 0 {
                let text = format!(
                    "{} with no checksum on 1fichier, compared by size only",
                    r.unverified
                );
                top.push(Line::from(Span::styled(cut(&text, iw), theme.dim)));
            }
            rows = plan_rows(r, s.choices.delete);
            if rows.is_empty() {
                top.push(Line::from(Span::styled(
                    cut("both sides already match", iw),
                    theme.ok,
                )));
            }
            bottom.extend(options);
            let work = r.new + r.changed > 0
                || (s.choices.delete && r.to_delete > 0 && r.to_delete <= s.choices.max_delete);
            let keys: &[&str] = match (work, rows.len() > 1) {
                (true, true) => &["Enter: sync", "Esc: cancel", "Up/Down: scroll"],
                (true, false) => &["Enter: sync", "Esc: cancel"],
                (false, _) => &["Enter, Esc: close"],
            };
            bottom.push(keys_line(keys, iw, theme));
        }
        Stage::Running(p) => {
            top.push(Line::from(cut(&p.line(), iw)));
            if let Some((name, done, total)) = &p.current {
                let pct = (done * 100).checked_div(*total).unwrap_or(0);
                let tail = format!(" {pct}% of {}", Bytes(*total));
                let name_w = iw.saturating_sub(width(&tail));
                top.push(Line::from(format!(
                    "{}{tail}",
                    cut_left(&for_terminal(name), name_w)
                )));
            }
            if let Some(n) = &p.notice {
                top.push(Line::from(Span::styled(
                    cut(&for_terminal(n), iw),
                    theme.dim,
                )));
            }
            let again = format!(
                "{}: show again",
                app.keymap.hint(crate::ui::keymap::Cmd::Sync)
            );
            bottom.push(keys_line(
                &["Esc: hide (the sync goes on)", "x: stop", &again],
                iw,
                theme,
            ));
        }
    }
    Parts {
        title,
        head,
        top,
        rows,
        bottom,
        border,
    }
}

fn planning_line(p: &Progress) -> String {
    let phase = if p.phase.is_empty() {
        "listing"
    } else {
        p.phase
    };
    match p.hashing {
        Some((done, total)) if done < total => {
            let pct = (done * 100).checked_div(total).unwrap_or(0);
            format!(
                "{phase}, hashing local files {pct}% ({} of {})",
                Bytes(done),
                Bytes(total)
            )
        }
        _ => format!("{phase}..."),
    }
}

/// "3 new · 1 changed · 2 to delete · 12 unchanged · 0 skipped", shorter when narrow.
fn counts(r: &Report, delete: bool, iw: usize) -> String {
    let same = r.unchanged + r.unverified;
    let skipped = r.skipped.len() + r.failed.len();
    let gone = if delete { "to delete" } else { "extra" };
    let long = format!(
        "{} new · {} changed · {} {gone} · {same} unchanged · {skipped} skipped",
        r.new, r.changed, r.to_delete
    );
    if width(&long) <= iw {
        return long;
    }
    let gone = if delete { "del" } else { "extra" };
    format!(
        "{} new {} chg {} {gone} {same} same {skipped} skip",
        r.new, r.changed, r.to_delete
    )
}

fn wrap_styled<'a>(text: &str, iw: usize, style: Style) -> Vec<Line<'a>> {
    wrap(text, iw)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}

/// The options with their keys, packed on as few lines as the width allows.
fn options_lines<'a>(s: &SyncUi, iw: usize, theme: &Theme) -> Vec<Line<'a>> {
    let on = |b: bool| if b { "on" } else { "off" };
    let items = [
        ("d", format!(" delete extra: {}", on(s.choices.delete))),
        ("s", format!(" size only: {}", on(s.choices.size_only))),
        ("f", " flip".to_string()),
    ];
    let mut lines = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    for (key, text) in items {
        let w = width(key) + 2 + width(&text);
        let sep = usize::from(used > 0) * 2;
        if used > 0 && used + sep + w > iw {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::raw("  "));
            used += 2;
        }
        spans.push(Span::styled(format!("[{key}]"), theme.key));
        spans.push(Span::raw(text));
        used += w;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
}

fn keys_line<'a>(keys: &[&str], iw: usize, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(cut(&keys.join("  "), iw), theme.dim))
}
