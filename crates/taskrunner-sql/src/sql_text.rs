//! Reading SQL text just far enough to split a script into statements and
//! find its `?` placeholders: quotes, quoted identifiers, comments and
//! PostgreSQL dollar quotes are skipped, so a `;` or `?` inside them counts
//! for nothing.

/// One statement of a script: its text (without the closing `;`) and the
/// byte offsets of its `?` placeholders within that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub(crate) text: String,
    pub(crate) placeholders: Vec<usize>,
}

/// The non-empty statements of `script`, in order.
pub(crate) fn split(script: &str) -> Vec<Statement> {
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut placeholders = Vec::new();
    let mut index = 0;
    let mut finish = |start: usize, end: usize, placeholders: &mut Vec<usize>| {
        let raw = &script[start..end];
        let trimmed_start = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        if !text.is_empty() {
            statements.push(Statement {
                text: text.to_owned(),
                placeholders: placeholders
                    .drain(..)
                    .map(|offset: usize| offset - start - trimmed_start)
                    .collect(),
            });
        }
        placeholders.clear();
    };
    while index < bytes.len() {
        match bytes[index] {
            b'\'' | b'"' | b'`' => index = skip_quoted(bytes, index),
            b'-' if bytes.get(index + 1) == Some(&b'-') => index = skip_line(bytes, index),
            b'#' => index = skip_line(bytes, index),
            b'/' if bytes.get(index + 1) == Some(&b'*') => {
                index = script[index + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| index + 2 + end + 2);
            }
            b'$' => index = skip_dollar_quoted(script, index),
            b'?' => {
                placeholders.push(index);
                index += 1;
            }
            b';' => {
                finish(start, index, &mut placeholders);
                index += 1;
                start = index;
            }
            _ => index += 1,
        }
    }
    finish(start, bytes.len(), &mut placeholders);
    statements
}

/// The index after the quoted text opening at `open` (a doubled quote or a
/// backslash escapes one).
fn skip_quoted(bytes: &[u8], open: usize) -> usize {
    let quote = bytes[open];
    let mut index = open + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if quote == b'\'' => index += 2,
            byte if byte == quote => {
                if bytes.get(index + 1) == Some(&quote) {
                    index += 2;
                } else {
                    return index + 1;
                }
            }
            _ => index += 1,
        }
    }
    bytes.len()
}

fn skip_line(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&byte| byte == b'\n')
        .map_or(bytes.len(), |end| from + end + 1)
}

/// After `$tag$ … $tag$` when one opens at `open`; else just past the `$`.
fn skip_dollar_quoted(script: &str, open: usize) -> usize {
    let rest = &script[open + 1..];
    let Some(tag_len) = rest.find('$') else {
        return open + 1;
    };
    let tag = &rest[..tag_len];
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '_') || tag.starts_with(char::is_numeric) {
        return open + 1;
    }
    let delimiter = &script[open..open + tag_len + 2];
    let body = open + delimiter.len();
    script[body..]
        .find(delimiter)
        .map_or(script.len(), |end| body + end + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let statements = split(
            "insert into t values ('a;b', ?); -- c; ?\n\
             /* ; ? */ update t set x = ? where \"we;ird\" = ?;\n\
             create function f() returns int as $$ select 1; $$ language sql;;",
        );
        let texts: Vec<&str> = statements.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert_eq!(statements[0].placeholders.len(), 1);
        assert_eq!(statements[1].placeholders.len(), 2);
        assert_eq!(statements[2].placeholders.len(), 0);
        assert_eq!(statements[0].text, "insert into t values ('a;b', ?)");
    }
}
