//! [`Tail`]: the last bytes of the command's stderr, kept in a fixed-size
//! buffer and turned into text the service accepts.
//!
//! A command may write anything to stderr: invalid UTF-8, NUL bytes,
//! terminal escapes. The errorMessage must match the model's pattern (tab,
//! newline, carriage return and the printable planes of Unicode), so the
//! text is cleaned here, visibly: a byte sequence that is not UTF-8 and a
//! character outside the pattern both become `�` (U+FFFD). The framework
//! would drop such characters silently; replacing them keeps the reader
//! aware that something was there.

use std::collections::VecDeque;

use taskrunner_api::is_allowed_char;

/// The largest chunk a tail allocates at its first bytes.
const PREALLOCATED: usize = 64 * 1024;

/// The last bytes of a stream, at most `capacity` of them.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    bytes: VecDeque<u8>,
    capacity: usize,
    /// Whether earlier bytes were dropped.
    truncated: bool,
}

impl Tail {
    /// An empty tail keeping at most `capacity` bytes. It allocates at its
    /// first bytes: most commands write nothing to stderr.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            bytes: VecDeque::new(),
            capacity,
            truncated: false,
        }
    }

    /// Appends `chunk`, dropping the oldest bytes beyond the capacity.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        let keep = &chunk[chunk.len().saturating_sub(self.capacity)..];
        let overflow = (self.bytes.len() + keep.len()).saturating_sub(self.capacity);
        self.truncated |= overflow > 0 || keep.len() < chunk.len();
        if self.bytes.capacity() == 0 {
            self.bytes.reserve(self.capacity.min(PREALLOCATED));
        }
        self.bytes.drain(..overflow);
        self.bytes.extend(keep);
    }

    /// The tail as text: lossy UTF-8 without a character cut in half at the
    /// start, characters outside the model's pattern replaced by `�`,
    /// trailing whitespace trimmed, `…` in front when truncated.
    pub(crate) fn text(&self) -> String {
        let bytes: Vec<u8> = self.bytes.iter().copied().collect();
        // A cut can land inside a multi-byte character: skip its
        // continuation bytes (at most three) rather than show U+FFFD.
        let start = if self.truncated {
            bytes
                .iter()
                .take(3)
                .take_while(|&&byte| byte & 0b1100_0000 == 0b1000_0000)
                .count()
        } else {
            0
        };
        let text: String = String::from_utf8_lossy(&bytes[start..])
            .chars()
            .map(|c| {
                if is_allowed_char(c) {
                    c
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect();
        let text = text.trim_end();
        if self.truncated && !text.is_empty() {
            format!("…{text}")
        } else {
            text.to_owned()
        }
    }
}

/// The last `max` characters of `text`.
pub(crate) fn last_chars(text: &str, max: usize) -> &str {
    let Some(nth) = max.checked_sub(1) else {
        return "";
    };
    match text.char_indices().rev().nth(nth) {
        Some((index, _)) => &text[index..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_bytes() {
        let mut tail = Tail::new(8);
        tail.push(b"hello ");
        assert_eq!(tail.text(), "hello");
        tail.push(b"world\n");
        assert_eq!(tail.text(), "…o world");
        tail.push(&[b'x'; 100]);
        assert_eq!(tail.text(), format!("…{}", "x".repeat(8)));
    }

    #[test]
    fn tail_never_starts_mid_character() {
        let mut tail = Tail::new(4);
        tail.push("aé€".as_bytes()); // 1 + 2 + 3 bytes: the cut lands in é
        assert_eq!(tail.text(), "…€");
    }

    #[test]
    fn tail_text_fits_the_model_pattern() {
        let mut tail = Tail::new(64);
        tail.push(b"bad \xff\xfe utf8, a NUL \0, a bell \x07, an escape \x1b[0m\tok\r\n");
        let text = tail.text();
        assert!(text.chars().all(is_allowed_char), "{text:?}");
        assert_eq!(text, "bad �� utf8, a NUL �, a bell �, an escape �[0m\tok");
    }

    #[test]
    fn last_chars_counts_characters() {
        assert_eq!(last_chars("abcdé", 2), "dé");
        assert_eq!(last_chars("ab", 5), "ab");
        assert_eq!(last_chars("ab", 0), "");
    }
}
