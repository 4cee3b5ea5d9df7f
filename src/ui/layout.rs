//! Where each part of the screen goes, computed from the terminal size alone so that `update`
//! (paging, mouse clicks) and `draw` agree without sharing anything mutable.

use ratatui::layout::Rect;

/// Below this width one pane shows at a time.
pub const TWO_PANES_MIN_WIDTH: u16 = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Local,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub local: Option<Rect>,
    pub remote: Option<Rect>,
    pub transfers: Option<Rect>,
    pub status: Option<Rect>,
}

impl Areas {
    /// `panel_jobs`: how many jobs the transfer panel lists, when it shows.
    pub fn compute(width: u16, height: u16, panel_jobs: Option<usize>, side: Side) -> Areas {
        let mut areas = Areas::default();
        if width == 0 || height == 0 {
            return areas;
        }
        areas.status = Some(Rect::new(0, height - 1, width, 1));
        let mut rest = height - 1;
        if let Some(jobs) = panel_jobs
            && rest >= 6
        {
            let want = (jobs as u16).saturating_add(2).max(3);
            let cap = (rest / 3).max(3);
            let h = want.min(cap).min(rest - 3);
            areas.transfers = Some(Rect::new(0, rest - h, width, h));
            rest -= h;
        }
        if rest == 0 {
            return areas;
        }
        if width >= TWO_PANES_MIN_WIDTH {
            let left = width / 2;
            areas.local = Some(Rect::new(0, 0, left, rest));
            areas.remote = Some(Rect::new(left, 0, width - left, rest));
        } else {
            let r = Some(Rect::new(0, 0, width, rest));
            match side {
                Side::Local => areas.local = r,
                Side::Remote => areas.remote = r,
            }
        }
        areas
    }

    /// Rows of list inside a pane (borders and the column header taken off).
    pub fn pane_rows(pane: Option<Rect>) -> usize {
        pane.map(|r| r.height.saturating_sub(3) as usize)
            .unwrap_or(1)
            .max(1)
    }

    /// Rows of jobs inside the transfer panel.
    pub fn panel_rows(&self) -> usize {
        self.transfers
            .map(|r| r.height.saturating_sub(2) as usize)
            .unwrap_or(1)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_degrades() {
        let a = Areas::compute(120, 40, Some(4), Side::Local);
        assert_eq!(a.local, Some(Rect::new(0, 0, 60, 33)));
        assert_eq!(a.remote, Some(Rect::new(60, 0, 60, 33)));
        assert_eq!(a.transfers, Some(Rect::new(0, 33, 120, 6)));
        let n = Areas::compute(40, 10, Some(9), Side::Remote);
        assert!(n.local.is_none());
        assert_eq!(n.remote, Some(Rect::new(0, 0, 40, 6)));
        assert_eq!(n.transfers.map(|r| r.height), Some(3));
        let tiny = Areas::compute(1, 1, Some(3), Side::Local);
        assert_eq!(tiny.local, None);
        assert_eq!(Areas::compute(0, 0, None, Side::Local), Areas::default());
    }
}
