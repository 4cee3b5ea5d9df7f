//! The local pane: breadcrumb title, column header, the visible rows only, footer.

use super::{Columns, Frame2, filter_footer, framed, pane_footer, row_style};
use crate::sanitize::for_terminal;
use crate::ui::app::{App, Focus};
use crate::ui::keymap::{Cmd, GlobalCmd};
use crate::ui::layout::TWO_PANES_MIN_WIDTH;
use crate::ui::local_pane::LocalRow;
use crate::ui::text::{cut_left, fit, ymd};
use crate::units::Bytes;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(super) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let pane = &app.local;
    let focused = app.focus == Focus::Local;
    let narrow = frame.area().width < TWO_PANES_MIN_WIDTH;
    let hint = narrow.then(|| {
        format!(
            " [{}] 1fichier ",
            app.keymap.hint(Cmd::Global(GlobalCmd::SwitchPane))
        )
    });
    let loading = if pane.loading.is_some() {
        " loading..."
    } else if pane.filling() {
        " sizes..."
    } else {
        ""
    };
    let room = (area.width as usize)
        .saturating_sub(12 + hint.as_ref().map_or(0, |h| h.len()) + loading.len());
    let path = cut_left(&for_terminal(&app.show_path(&pane.dir)), room.max(1));
    let (filter_line, cursor) = filter_footer(pane.filter.as_ref(), area, theme);
    let inner = framed(
        frame,
        area,
        theme,
        Frame2 {
            title: vec![Span::raw(format!(" Local {path}{loading} "))],
            hint,
            footer_left: filter_line,
            footer_right: Some(pane_footer(
                pane.marked(),
                pane.len()
                    .saturating_sub(usize::from(pane.dir.parent().is_some())),
                Some(pane.total()),
                pane.sort,
            )),
            active: focused,
        },
    );
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cols = Columns::new(inner.width as usize);
    let rows = (inner.height as usize).saturating_sub(1);
    let view = pane.list.in_view(pane.len(), rows);
    let mut lines = vec![cols.header(theme, "Modified")];
    for i in view.offset..(view.offset + rows).min(pane.len()) {
        let Some(row) = pane.row(i) else { break };
        let style = row_style(theme, i == view.cursor, focused);
        let line = match row {
            LocalRow::Parent => cols.row(
                Span::raw(" "),
                vec![Span::styled(fit("..", cols.name), theme.dir)],
                "",
                "",
                style,
            ),
            LocalRow::Entry {
                entry,
                marked,
                stat_known,
            } => {
                let diff = crate::ui::compare::local_symbol(app, &entry.file_name);
                let mark = crate::ui::compare::mark_span(diff, marked, theme);
                let shown = for_terminal(&entry.name);
                let (name, size, name_style) = if entry.is_dir {
                    (format!("{shown}/"), "-".to_string(), theme.dir)
                } else {
                    (
                        shown.into_owned(),
                        // A big folder's size on the way: a placeholder, never a false 0 B.
                        if stat_known {
                            Bytes(entry.size).to_string()
                        } else {
                            "…".to_string()
                        },
                        if marked { theme.marked } else { theme.file },
                    )
                };
                let date = entry.modified.map(ymd).unwrap_or_default();
                cols.row(
                    mark,
                    vec![Span::styled(fit(&name, cols.name), name_style)],
                    &size,
                    &date,
                    style,
                )
            }
        };
        lines.push(line);
    }
    if pane.is_empty() && pane.loading.is_some() {
        lines.push(Line::from(Span::styled(" loading...", theme.dim)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if focused
        && app.dialog.is_none()
        && let Some(pos) = cursor
    {
        frame.set_cursor_position(pos);
    }
}
