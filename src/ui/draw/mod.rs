//! Drawing: reads the state, writes a frame, nothing else (no I/O, no unwrap, no mutation).
//! One file per part of the screen; they share the pane frame and the column layout below.

mod dialogs;
mod help;
mod local_pane;
mod remote_pane;
mod status;
mod sync;
mod transfers;

pub use dialogs::scroll_limits;
pub use help::{HelpLine, help_lines};
pub use sync::sync_page;

use super::app::App;
use super::layout::Areas;
use super::text::{fit, fit_right};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let jobs = app.transfers.visible().then_some(app.transfers.jobs.len());
    let areas = Areas::compute(area.width, area.height, jobs, app.side);
    if let Some(r) = areas.local {
        local_pane::draw(app, frame, r);
    }
    if let Some(r) = areas.remote {
        remote_pane::draw(app, frame, r);
    }
    if let Some(r) = areas.transfers {
        transfers::draw(app, frame, r);
    }
    if let Some(r) = areas.status {
        status::draw(app, frame, r);
    }
    if let Some(s) = app.sync.as_ref().filter(|s| s.shown) {
        sync::draw(app, s, frame, area);
    }
    if let Some(d) = &app.dialog {
        dialogs::draw(app, d, frame, area);
    }
}

/// The bordered frame of a pane or panel, with a title (left), a hint (right of the title) and
/// footers on the bottom border; returns the inside.
struct Frame2<'a> {
    title: Vec<Span<'a>>,
    hint: Option<String>,
    footer_left: Option<Line<'a>>,
    footer_right: Option<String>,
    active: bool,
}

fn framed(frame: &mut Frame, area: Rect, theme: &Theme, f: Frame2<'_>) -> Rect {
    let (border, title_style) = if f.active {
        (theme.border_active, theme.title_active)
    } else {
        (theme.border_inactive, theme.title_inactive)
    };
    let title: Vec<Span> = f
        .title
        .into_iter()
        .map(|s| s.patch_style(title_style))
        .collect();
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::from(title));
    if let Some(h) = f.hint {
        block = block.title(Line::from(Span::styled(h, theme.key)).right_aligned());
    }
    if let Some(l) = f.footer_left {
        block = block.title_bottom(l);
    }
    if let Some(r) = f.footer_right {
        block = block.title_bottom(Line::from(r).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// Column widths of a file list at a given inner width: the mark, the name, the size, the date.
/// Narrow panes drop the date, then the size, so the name stays readable.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: usize,
    size: usize,
    date: usize,
}

impl Columns {
    fn new(width: usize) -> Columns {
        let size = if width >= 24 { 9 } else { 0 };
        let date = if width >= 44 { 10 } else { 0 };
        // The mark column, gaps, and one column of air before the right border.
        let used = 1
            + size
            + usize::from(size > 0)
            + date
            + if date > 0 { 2 } else { 0 }
            + usize::from(size > 0);
        Columns {
            name: width.saturating_sub(used),
            size,
            date,
        }
    }

    fn header(&self, theme: &Theme, date_title: &str) -> Line<'static> {
        let mut s = format!(" {}", fit("Name", self.name));
        if self.size > 0 {
            s.push(' ');
            s.push_str(&fit_right("Size", self.size));
        }
        if self.date > 0 {
            s.push_str("  ");
            s.push_str(&fit(date_title, self.date));
        }
        Line::from(Span::styled(s, theme.header))
    }

    /// One row: `mark`, then `name` spans (already fitted by the caller to `self.name`), size, date.
    fn row<'a>(
        &self,
        mark: Span<'a>,
        name: Vec<Span<'a>>,
        size: &str,
        date: &str,
        style: Style,
    ) -> Line<'a> {
        let mut spans = vec![mark];
        spans.extend(name);
        if self.size > 0 {
            spans.push(Span::raw(format!(" {}", fit_right(size, self.size))));
        }
        if self.date > 0 {
            spans.push(Span::raw(format!("  {}", fit(date, self.date))));
        }
        if self.size > 0 {
            // The column of air before the border, so a highlighted row spans the whole pane.
            spans.push(Span::raw(" "));
        }
        Line::from(spans).style(style)
    }
}

/// The style of a row: the cursor of the focused pane is bright, the other pane's is dim.
fn row_style(theme: &Theme, is_cursor: bool, focused: bool) -> Style {
    match (is_cursor, focused) {
        (true, true) => theme.cursor_active,
        (true, false) => theme.cursor_inactive,
        _ => Style::default(),
    }
}

/// The footer of a pane: marks, or the item count (with the filter and sort when set).
fn pane_footer(
    marked: (usize, u64),
    shown: usize,
    total: Option<usize>,
    sort: crate::local::SortKey,
) -> String {
    let mut s = if marked.0 > 0 {
        format!(" {} marked, {} ", marked.0, crate::units::Bytes(marked.1))
    } else {
        match total {
            Some(t) if t != shown => format!(" {shown} of {t} items "),
            _ => format!(" {shown} item{} ", if shown == 1 { "" } else { "s" }),
        }
    };
    if sort != crate::local::SortKey::Name {
        s.push_str(&format!("by {} ", sort.label()));
    }
    s
}

/// The filter line on a pane's bottom border, and where the cursor goes while it is typed.
fn filter_footer<'a>(
    filter: Option<&'a super::local_pane::Filter>,
    area: Rect,
    theme: &Theme,
) -> (Option<Line<'a>>, Option<(u16, u16)>) {
    let Some(f) = filter else { return (None, None) };
    let max = (area.width as usize).saturating_sub(20).max(4);
    let text = crate::sanitize::for_terminal(f.input.text()).into_owned();
    let shown = super::text::cut_left(&text, max);
    let line = Line::from(vec![
        Span::raw(" /"),
        Span::styled(shown.clone(), theme.key),
        Span::raw(" "),
    ]);
    let cursor = f.typing.then(|| {
        let before = super::text::width(&crate::sanitize::for_terminal(f.input.before_cursor()))
            .min(super::text::width(&shown));
        (area.x + 3 + before as u16, area.bottom().saturating_sub(1))
    });
    (Some(line), cursor)
}
