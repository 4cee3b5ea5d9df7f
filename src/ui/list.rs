//! A cursor over a list drawn in a window of rows: moves, pages, and keeps itself in view. The
//! window's height comes from the layout, so `update` can scroll without the terminal.

use super::keymap::Nav;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub cursor: usize,
    /// First row in the window.
    pub offset: usize,
}

impl ListCursor {
    pub fn nav(&mut self, nav: Nav, len: usize, page: usize) {
        let page = page.max(1);
        let last = len.saturating_sub(1);
        self.cursor = match nav {
            Nav::Up => self.cursor.saturating_sub(1),
            Nav::Down => (self.cursor + 1).min(last),
            Nav::PageUp => self.cursor.saturating_sub(page),
            Nav::PageDown => (self.cursor + page).min(last),
            Nav::Top => 0,
            Nav::Bottom => last,
        };
        self.scroll(len, page);
    }

    /// Puts the cursor on `row` (clamped).
    pub fn select(&mut self, row: usize, len: usize, height: usize) {
        self.cursor = row.min(len.saturating_sub(1));
        self.scroll(len, height);
    }

    /// Clamps the cursor to the list and scrolls so that it shows in a window of `height` rows.
    pub fn scroll(&mut self, len: usize, height: usize) {
        self.cursor = self.cursor.min(len.saturating_sub(1));
        *self = self.in_view(len, height);
    }

    /// The cursor and offset as a window of `height` rows would show them (draw uses this when
    /// the window changed since the last update, without writing it back).
    pub fn in_view(self, len: usize, height: usize) -> ListCursor {
        let height = height.max(1);
        let cursor = self.cursor.min(len.saturating_sub(1));
        let mut offset = self.offset.min(len.saturating_sub(height));
        if cursor < offset {
            offset = cursor;
        } else if cursor >= offset + height {
            offset = cursor + 1 - height;
        }
        ListCursor { cursor, offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_and_scrolls() {
        let mut c = ListCursor::default();
        c.nav(Nav::Down, 100, 10);
        assert_eq!(c.cursor, 1);
        c.nav(Nav::PageDown, 100, 10);
        assert_eq!(
            c,
            ListCursor {
                cursor: 11,
                offset: 2
            }
        );
        c.nav(Nav::Bottom, 100, 10);
        assert_eq!(
            c,
            ListCursor {
                cursor: 99,
                offset: 90
            }
        );
        c.nav(Nav::PageUp, 100, 10);
        assert_eq!(
            c,
            ListCursor {
                cursor: 89,
                offset: 89
            }
        );
        c.nav(Nav::Top, 100, 10);
        assert_eq!(
            c,
            ListCursor {
                cursor: 0,
                offset: 0
            }
        );
        c.nav(Nav::Up, 0, 10);
        assert_eq!(c.cursor, 0);
        c.select(50, 20, 5);
        assert_eq!(
            c,
            ListCursor {
                cursor: 19,
                offset: 15
            }
        );
    }
}
