//! A one-line text input whose cursor moves by grapheme (what a user sees as one character), never
//! by byte: `é`, `日` and a flag emoji are each one step.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor as a byte offset, always on a grapheme boundary.
    cursor: usize,
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> TextInput {
        let text = text.into();
        let cursor = text.len();
        TextInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text before the cursor, to place the cursor on screen by display width.
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.cursor]
    }

    /// Selects where the cursor goes (a byte offset, moved back to a grapheme boundary).
    pub fn set_cursor(&mut self, at: usize) {
        let at = at.min(self.text.len());
        self.cursor = self
            .text
            .grapheme_indices(true)
            .map(|(i, _)| i)
            .take_while(|i| *i <= at)
            .last()
            .unwrap_or(0);
        if at == self.text.len() {
            self.cursor = at;
        }
    }

    pub fn insert_str(&mut self, s: &str) {
        // Pasted text is one line: line breaks and other control characters become spaces.
        let clean: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.text.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .grapheme_indices(true)
            .next_back()
            .map(|(i, _)| i)
            .unwrap_or(0)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .graphemes(true)
            .next()
            .map(|g| self.cursor + g.len())
            .unwrap_or(self.cursor)
    }

    /// Applies an editing key; returns false when the key is not an editing key.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                self.text.replace_range(..self.cursor, "");
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.len(),
            KeyCode::Char('w') if ctrl => {
                let start = self.text[..self.cursor]
                    .trim_end()
                    .rfind([' ', '/'])
                    .map(|i| i + 1)
                    .unwrap_or(0);
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
            }
            // Alt+key is a command elsewhere (and a lone Esc read with the next key), not text.
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                let mut buf = [0u8; 4];
                self.insert_str(c.encode_utf8(&mut buf));
            }
            KeyCode::Backspace => {
                let start = self.prev_boundary();
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
            }
            KeyCode::Delete => {
                let end = self.next_boundary();
                self.text.replace_range(self.cursor..end, "");
            }
            KeyCode::Left => self.cursor = self.prev_boundary(),
            KeyCode::Right => self.cursor = self.next_boundary(),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.len(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn moves_by_grapheme() {
        let mut t = TextInput::new("aé日🇫🇷");
        t.handle_key(&key(KeyCode::Left));
        assert_eq!(t.before_cursor(), "aé日");
        t.handle_key(&key(KeyCode::Backspace));
        assert_eq!(t.text(), "aé🇫🇷");
        t.handle_key(&key(KeyCode::Home));
        t.handle_key(&key(KeyCode::Right));
        t.handle_key(&key(KeyCode::Delete));
        assert_eq!(t.text(), "a🇫🇷");
        t.handle_key(&key(KeyCode::Char('x')));
        assert_eq!(t.text(), "ax🇫🇷");
        t.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(t.text(), "🇫🇷");
        t.handle_key(&key(KeyCode::End));
        t.insert_str("a\nb");
        assert_eq!(t.text(), "🇫🇷a b");
        t.set_cursor(2);
        assert_eq!(t.before_cursor(), "");
    }
}
