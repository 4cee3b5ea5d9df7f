//! The local pane's state on its own: sorting, marks, filters, stale listings, and a big
//! folder's two steps (names, then stats).

use super::*;

fn pane() -> LocalPane {
    let mut p = LocalPane::new(PathBuf::from("/home/u"), false);
    let eff = p.request(PathBuf::from("/home/u"));
    let Effect::ListLocal { ticket, .. } = eff else {
        panic!()
    };
    let entries = vec![
        test_entry("b.txt", false, 10),
        test_entry("A", true, 0),
        test_entry(".hidden", false, 1),
        test_entry("c.bin", false, 1000),
    ];
    assert!(
        p.on_listed(ticket, PathBuf::from("/home/u"), Ok(entries), 10)
            .is_none()
    );
    p
}

fn names(p: &LocalPane) -> Vec<String> {
    (0..p.len())
        .map(|i| match p.row(i) {
            Some(LocalRow::Parent) => "..".to_string(),
            Some(LocalRow::Entry { entry, marked, .. }) => {
                format!("{}{}", if marked { "*" } else { "" }, entry.name)
            }
            None => "?".into(),
        })
        .collect()
}

#[test]
fn view_hides_dot_files_and_sorts_folders_first() {
    let mut p = pane();
    assert_eq!(names(&p), ["..", "A", "b.txt", "c.bin"]);
    p.toggle_hidden(10);
    assert_eq!(names(&p), ["..", "A", ".hidden", "b.txt", "c.bin"]);
    p.set_sort(SortKey::Size, 10);
    assert_eq!(names(&p), ["..", "A", "c.bin", "b.txt", ".hidden"]);
}

#[test]
fn marks_count_and_survive_reload() {
    let mut p = pane();
    p.nav(Nav::Down, 10); // A
    p.nav(Nav::Down, 10); // b.txt
    p.toggle_mark(10);
    p.toggle_mark(10);
    assert_eq!(p.marked(), (2, 1010));
    assert_eq!(names(&p), ["..", "A", "*b.txt", "*c.bin"]);
    p.invert_marks();
    assert_eq!(p.marked(), (1, 0));
    let eff = p.reload();
    let Effect::ListLocal { ticket, .. } = eff else {
        panic!()
    };
    p.on_listed(
        ticket,
        PathBuf::from("/home/u"),
        Ok(vec![test_entry("A", true, 0), test_entry("new", false, 1)]),
        10,
    );
    assert_eq!(names(&p), ["..", "*A", "new"]);
}

#[test]
fn stale_listing_is_dropped() {
    let mut p = pane();
    let Effect::ListLocal { ticket: old, .. } = p.request(PathBuf::from("/slow")) else {
        panic!()
    };
    let Effect::ListLocal { ticket: new, .. } = p.request(PathBuf::from("/fast")) else {
        panic!()
    };
    p.on_listed(
        new,
        PathBuf::from("/fast"),
        Ok(vec![test_entry("f", false, 1)]),
        10,
    );
    p.on_listed(
        old,
        PathBuf::from("/slow"),
        Ok(vec![test_entry("s", false, 1)]),
        10,
    );
    assert_eq!(p.dir, PathBuf::from("/fast"));
    assert_eq!(names(&p), ["..", "f"]);
}

#[test]
fn going_up_selects_the_folder_we_left() {
    let mut p = LocalPane::new(PathBuf::from("/a/b"), false);
    let Some(Effect::ListLocal { dir, ticket }) = p.up() else {
        panic!()
    };
    assert_eq!(dir, PathBuf::from("/a"));
    p.on_listed(
        ticket,
        dir,
        Ok(vec![test_entry("a1", true, 0), test_entry("b", true, 0)]),
        10,
    );
    assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("b"));
}

fn stat(size: u64) -> Option<EntryStat> {
    Some(EntryStat {
        is_dir: false,
        size,
        modified: Some(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(size)),
    })
}

/// A pane in /home/u given `entries` as a big folder's names (no stats yet); returns the ticket.
fn names_pane(entries: Vec<LocalEntry>) -> (LocalPane, u64) {
    let mut p = LocalPane::new(PathBuf::from("/home/u"), false);
    let Effect::ListLocal { ticket, .. } = p.reload() else {
        panic!()
    };
    p.on_names(ticket, PathBuf::from("/home/u"), entries, 10);
    (p, ticket)
}

fn known(p: &LocalPane) -> Vec<bool> {
    (0..p.len())
        .filter_map(|i| match p.row(i) {
            Some(LocalRow::Entry { stat_known, .. }) => Some(stat_known),
            _ => None,
        })
        .collect()
}

#[test]
fn a_big_folder_shows_names_first_then_fills_in() {
    let (mut p, ticket) = names_pane(vec![
        test_entry("b.txt", false, 0),
        test_entry("A", true, 0),
        test_entry("c.bin", false, 0),
        test_entry("d", false, 0),
    ]);
    assert!(p.loading.is_none() && p.filling());
    assert_eq!(names(&p), ["..", "A", "b.txt", "c.bin", "d"]);
    assert_eq!(known(&p), [false; 4]);
    // Some stats in: those rows show them, the order stays.
    assert!(!p.on_stats(ticket, vec![(0, stat(10)), (2, stat(1000))], 10));
    assert_eq!(known(&p), [false, true, true, false]);
    assert_eq!(p.entries()[2].size, 1000);
    // A stale ticket's stats are dropped.
    assert!(!p.on_stats(ticket - 1, vec![(3, stat(5))], 10));
    assert_eq!(known(&p), [false, true, true, false]);
    // The rest: the folder is whole.
    let dir_stat = Some(EntryStat {
        is_dir: true,
        size: 0,
        modified: None,
    });
    assert!(p.on_stats(ticket, vec![(1, dir_stat), (3, stat(5))], 10));
    assert!(!p.filling());
    assert_eq!(known(&p), [true; 4]);
    assert_eq!(names(&p), ["..", "A", "b.txt", "c.bin", "d"]);
    assert!(
        !p.on_stats(ticket, vec![(3, stat(6))], 10),
        "nothing after the end"
    );
    assert_eq!(p.entries()[3].size, 5);
}

#[test]
fn sort_by_size_is_made_again_once_the_stats_are_in() {
    let (mut p, ticket) = names_pane(vec![
        test_entry("small", false, 0),
        test_entry("big", false, 0),
        test_entry("mid", false, 0),
    ]);
    p.set_sort(SortKey::Size, 10);
    // No size known: sizes sort as 0, by name.
    assert_eq!(names(&p), ["..", "big", "mid", "small"]);
    // Cursor and a mark on "mid".
    p.nav(Nav::Down, 10);
    p.nav(Nav::Down, 10);
    p.toggle_mark(10);
    p.nav(Nav::Up, 10);
    assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("mid"));
    p.on_stats(ticket, vec![(0, stat(1)), (2, stat(50))], 10);
    assert_eq!(p.marked(), (1, 50), "marked bytes follow the stats");
    assert!(p.on_stats(ticket, vec![(1, stat(900))], 10));
    assert_eq!(names(&p), ["..", "big", "*mid", "small"]);
    p.set_sort(SortKey::Name, 10);
    assert_eq!(names(&p), ["..", "big", "*mid", "small"]);
    p.set_sort(SortKey::Size, 10);
    assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("mid"));

    // Sizes that reverse the name order: the rows move, cursor and mark with their entry.
    let (mut p, ticket) = names_pane(vec![
        test_entry("a", false, 0),
        test_entry("b", false, 0),
        test_entry("c", false, 0),
    ]);
    p.set_sort(SortKey::Size, 10);
    p.nav(Nav::Down, 10); // a
    p.toggle_mark(10); // cursor to b
    assert!(p.on_stats(ticket, vec![(0, stat(1)), (1, stat(2)), (2, stat(3))], 10));
    assert_eq!(names(&p), ["..", "c", "b", "*a"]);
    assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("b"));
    assert_eq!(p.list.cursor, 2);
}

#[test]
fn an_entry_gone_before_its_stat_leaves_the_view() {
    let (mut p, ticket) = names_pane(vec![
        test_entry("a", false, 0),
        test_entry("b", false, 0),
        test_entry("c", false, 0),
        test_entry("d", false, 0),
    ]);
    p.nav(Nav::Down, 10);
    p.nav(Nav::Down, 10); // b
    p.toggle_mark(10); // mark b; cursor on c
    p.toggle_mark(10); // mark c; cursor on d
    assert_eq!(p.marked().0, 2);
    // b vanished: hidden at once, no longer selected, the cursor stays on d.
    assert!(!p.on_stats(ticket, vec![(1, None), (3, stat(4))], 10));
    assert_eq!(names(&p), ["..", "a", "*c", "d"]);
    assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("d"));
    let picked: Vec<&str> = p.selection().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(picked, ["c"]);
    // Once all are in, it is dropped for good.
    assert!(p.on_stats(ticket, vec![(0, stat(1)), (2, stat(3))], 10));
    assert_eq!(p.total(), 3);
    assert_eq!(names(&p), ["..", "a", "*c", "d"]);
    assert_eq!(p.marked(), (1, 3));
    assert_eq!(p.cursor_entry().map(|e| e.name.as_str()), Some("d"));
    p.set_sort(SortKey::Size, 10);
    assert_eq!(names(&p), ["..", "d", "*c", "a"]);
}

#[test]
fn a_new_listing_drops_the_stats_of_the_old_one() {
    let (mut p, old) = names_pane(vec![test_entry("a", false, 0), test_entry("b", false, 0)]);
    let Effect::ListLocal { ticket, .. } = p.reload() else {
        panic!()
    };
    assert!(!p.on_stats(old, vec![(0, stat(1)), (1, stat(2))], 10));
    assert!(p.filling(), "the old listing's stats do not finish it");
    p.on_listed(
        ticket,
        PathBuf::from("/home/u"),
        Ok(vec![test_entry("x", false, 9)]),
        10,
    );
    assert!(!p.filling());
    assert_eq!(names(&p), ["..", "x"]);
    assert_eq!(known(&p), [true]);
}

#[test]
fn the_filter_narrows_and_widens_again() {
    let mut p = pane();
    let typed = |p: &mut LocalPane, text: &str| {
        p.filter = Some(Filter {
            input: crate::ui::input::TextInput::new(text),
            typing: true,
        });
        p.refilter(10);
        names(p)
    };
    assert_eq!(typed(&mut p, "b"), ["..", "b.txt", "c.bin"]);
    assert_eq!(typed(&mut p, "bi"), ["..", "c.bin"]);
    assert_eq!(typed(&mut p, "bix"), [".."]);
    assert_eq!(typed(&mut p, "b"), ["..", "b.txt", "c.bin"]);
    assert_eq!(typed(&mut p, "T"), ["..", "b.txt"], "lowercase");
    assert_eq!(typed(&mut p, "xt"), ["..", "b.txt"], "a narrowing of t");
    p.toggle_hidden(10);
    assert_eq!(typed(&mut p, "t"), ["..", "b.txt"]);
    assert_eq!(typed(&mut p, "h"), ["..", ".hidden"]);
    assert_eq!(typed(&mut p, ""), ["..", "A", ".hidden", "b.txt", "c.bin"]);
    p.filter = None;
    p.refilter(10);
    p.toggle_hidden(10);
    assert_eq!(names(&p), ["..", "A", "b.txt", "c.bin"]);
}

/// The screen as text, one string per row.
fn screen(app: &crate::ui::App) -> Vec<String> {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).expect("a terminal");
    term.draw(|f| crate::ui::draw(app, f)).expect("drawn");
    let buf = term.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_app_draws_placeholders_until_the_stats_are_in() {
    use crate::ui::action::{Action, LocalMsg};
    let mut app = crate::ui::App::new(crate::ui::AppOptions {
        start_dir: PathBuf::from("/data"),
        theme: "default".into(),
        ..Default::default()
    });
    app.update(Action::Resize {
        width: 120,
        height: 30,
    });
    let Some(Effect::ListLocal { dir, ticket }) = app
        .start()
        .into_iter()
        .find(|e| matches!(e, Effect::ListLocal { .. }))
    else {
        panic!("the app lists its folder")
    };
    app.update(Action::Local(LocalMsg::Names {
        ticket,
        dir,
        entries: vec![
            test_entry("big.iso", false, 0),
            test_entry("a.txt", false, 0),
        ],
    }));
    let rows = screen(&app);
    let row = |rows: &[String], name: &str| {
        rows.iter()
            .find(|l| l.contains(name))
            .cloned()
            .unwrap_or_default()
    };
    assert!(row(&rows, "Local").contains("sizes..."), "{rows:#?}");
    assert!(
        row(&rows, "big.iso").contains('…'),
        "{}",
        row(&rows, "big.iso")
    );
    app.update(Action::Local(LocalMsg::Stats {
        ticket,
        stats: vec![(0, stat(3 << 20)), (1, stat(12))],
    }));
    assert!(!app.local.filling());
    let rows = screen(&app);
    assert!(!row(&rows, "Local").contains("sizes..."));
    assert!(
        row(&rows, "big.iso").contains("3.0 MiB"),
        "{}",
        row(&rows, "big.iso")
    );
    assert!(
        row(&rows, "a.txt").contains("12 B"),
        "{}",
        row(&rows, "a.txt")
    );
    assert!(!row(&rows, "a.txt").contains('…'));
}
