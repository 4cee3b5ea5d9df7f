//! The 1fichier pane: the folder tree (`>` closed, `v` open, `loading...` while listing), files
//! under their folder, indented by depth; only the visible rows are built.

use super::{Columns, Frame2, filter_footer, framed, pane_footer, row_style};
use crate::api::FolderId;
use crate::sanitize::{for_terminal, from_service_name};
use crate::ui::app::{App, Focus};
use crate::ui::keymap::{Cmd, GlobalCmd, PaneCmd};
use crate::ui::layout::TWO_PANES_MIN_WIDTH;
use crate::ui::remote_tree::{Load, RowItem};
use crate::ui::text::{cut, cut_left, fit, service_day, width, wrap};
use crate::units::Bytes;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(super) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let pane = &app.remote;
    let focused = app.focus == Focus::Remote;
    let narrow = frame.area().width < TWO_PANES_MIN_WIDTH;
    let hint = narrow.then(|| {
        format!(
            " [{}] local ",
            app.keymap.hint(Cmd::Global(GlobalCmd::SwitchPane))
        )
    });
    let room = (area.width as usize).saturating_sub(15 + hint.as_ref().map_or(0, |h| h.len()));
    let path = cut_left(
        &for_terminal(&pane.path(pane.current_folder())),
        room.max(1),
    );
    let (filter_line, cursor) = filter_footer(pane.filter.as_ref(), area, theme);
    let inner = framed(
        frame,
        area,
        theme,
        Frame2 {
            title: vec![Span::raw(format!(" 1fichier {path} "))],
            hint,
            footer_left: filter_line,
            footer_right: Some(pane_footer(
                pane.marked(),
                pane.len().saturating_sub(1),
                None,
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
    let mut lines = vec![cols.header(theme, "Date")];
    // Deep trees keep names readable: indentation stops growing at a third of the name column.
    let max_indent = cols.name / 3;
    for (i, row) in pane.rows().iter().enumerate().skip(view.offset).take(rows) {
        let style = row_style(theme, i == view.cursor, focused);
        let marked = pane.is_marked(row.item);
        let diff = crate::ui::compare::remote_symbol(app, row.item);
        let mark = crate::ui::compare::mark_span(diff, marked, theme);
        let indent = " ".repeat((row.depth * 2).min(max_indent));
        let line = match row.item {
            RowItem::Folder(id) => {
                let Some(node) = pane.node(id) else { continue };
                let arrow = if node.expanded { "v " } else { "> " };
                let name = if id == FolderId::ROOT {
                    "/".to_string()
                } else {
                    format!("{}/", for_terminal(&from_service_name(&node.name)))
                };
                let head = format!("{indent}{arrow}");
                // The note says its word in full when the name keeps its own; else it shrinks.
                let full_room = cols.name.saturating_sub(width(&head) + width(&name));
                let (note, note_style) = match &node.load {
                    Load::Loading { .. } if full_room >= 12 => ("  loading...", theme.dim),
                    Load::Loading { .. } => (" ...", theme.dim),
                    Load::Failed(_) if full_room >= 10 => ("  (failed)", theme.error),
                    Load::Failed(_) => (" (!)", theme.error),
                    _ => ("", theme.dim),
                };
                let room = cols.name.saturating_sub(width(&head) + width(note));
                let name = cut(&name, room);
                let used = width(&head) + width(&name) + width(note);
                let pad = " ".repeat(cols.name.saturating_sub(used));
                let spans = vec![
                    Span::raw(head),
                    Span::styled(name, if marked { theme.marked } else { theme.dir }),
                    Span::styled(note, note_style),
                    Span::raw(pad),
                ];
                let date = node.date.as_deref().map(service_day).unwrap_or("");
                cols.row(mark, spans, "", date, style)
            }
            RowItem::File { folder, index } => {
                let Some(file) = pane.file(folder, index) else {
                    continue;
                };
                let name = format!(
                    "{indent}  {}",
                    for_terminal(&from_service_name(&file.filename))
                );
                let date = file.date.as_deref().map(service_day).unwrap_or("");
                let name_style = if marked { theme.marked } else { theme.file };
                cols.row(
                    mark,
                    vec![Span::styled(fit(&name, cols.name), name_style)],
                    &Bytes(file.size).to_string(),
                    date,
                    style,
                )
            }
        };
        lines.push(line);
    }
    // Nothing but a root that failed to list: say why, and how to try again, in the pane itself
    // (the status bar's message goes after a few seconds).
    if pane.len() == 1
        && let Some(Load::Failed(e)) = pane.node(FolderId::ROOT).map(|n| &n.load)
    {
        let w = (inner.width as usize).saturating_sub(3).max(1);
        lines.push(Line::from(""));
        for l in wrap(&for_terminal(e), w) {
            lines.push(Line::from(Span::styled(format!("  {l}"), theme.error)));
        }
        let retry = app.keymap.hint(Cmd::Pane(PaneCmd::Reload));
        lines.push(Line::from(Span::styled(
            format!("  {retry}: try again"),
            theme.dim,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if focused
        && app.dialog.is_none()
        && let Some(pos) = cursor
    {
        frame.set_cursor_position(pos);
    }
}
