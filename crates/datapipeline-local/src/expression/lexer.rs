//! Splits the text of one expression into tokens.
//!
//! The lexer sees only what lies between `#{` and its `}`: the template
//! driver finds the closing brace first (see [`closing_brace`]), so a `}`
//! reaching the lexer is an unexpected character.

use std::iter::Peekable;
use std::str::CharIndices;

use super::error::ExpressionErrorKind;

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What the token is.
    pub(crate) kind: TokenKind,
    /// The byte offset of its first character in the evaluated text.
    pub(crate) position: usize,
}

/// The kinds of token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// An integer literal.
    Integer(i64),
    /// A decimal literal, e.g. `1.5`.
    Decimal(f64),
    /// A quoted string, escapes resolved.
    String(String),
    /// A name: a field (`myField`, `@scheduledStartTime`, the encrypted
    /// `*password`), a parameter (`myBucket`, `*myPassword`) or a function.
    Identifier(String),
    /// `.` between path steps.
    Dot,
    /// `,` between arguments.
    Comma,
    /// `(`.
    OpenParen,
    /// `)`.
    CloseParen,
    /// One of `+ - * / ^`.
    Operator(char),
    /// The end of the expression.
    End,
}

impl TokenKind {
    /// The token as messages show it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Integer(value) => format!("number {value}"),
            Self::Decimal(value) => format!("number {value}"),
            Self::String(_) => "a string".to_owned(),
            Self::Identifier(name) => format!("'{name}'"),
            Self::Dot => "'.'".to_owned(),
            Self::Comma => "','".to_owned(),
            Self::OpenParen => "'('".to_owned(),
            Self::CloseParen => "')'".to_owned(),
            Self::Operator(operator) => format!("'{operator}'"),
            Self::End => "the end of the expression".to_owned(),
        }
    }
}

/// Every token of `text`, ending with [`TokenKind::End`]; `base` is the
/// offset of `text` in the evaluated text, added to every position.
///
/// # Errors
/// The position and kind of the first lexical error.
pub(crate) fn tokenize(
    text: &str,
    base: usize,
) -> Result<Vec<Token>, (usize, ExpressionErrorKind)> {
    let mut tokens = Vec::new();
    let mut characters = text.char_indices().peekable();
    while let Some((offset, character)) = characters.next() {
        let position = base + offset;
        let kind = match character {
            c if c.is_whitespace() => continue,
            '.' => TokenKind::Dot,
            ',' => TokenKind::Comma,
            '(' => TokenKind::OpenParen,
            ')' => TokenKind::CloseParen,
            '*' if expects_operand(&tokens) && starts_name(text, offset + 1) => {
                // The name's first character, known to start a name.
                let first = characters
                    .next()
                    .map_or(offset + 1, |(at, first)| at + first.len_utf8());
                let end = name_end(&mut characters, first);
                TokenKind::Identifier(text[offset..end].to_owned())
            }
            '+' | '-' | '*' | '/' | '^' => TokenKind::Operator(character),
            '\'' | '"' => {
                let mut value = String::new();
                let mut closed = false;
                while let Some((_, next)) = characters.next() {
                    match next {
                        '\\' => value.extend(characters.next().map(|(_, escaped)| escaped)),
                        quote if quote == character => {
                            closed = true;
                            break;
                        }
                        other => value.push(other),
                    }
                }
                if !closed {
                    return Err((position, ExpressionErrorKind::UnterminatedString));
                }
                TokenKind::String(value)
            }
            c if c.is_ascii_digit() => {
                let mut end = offset + c.len_utf8();
                let mut decimal = false;
                while let Some(&(next_offset, next)) = characters.peek() {
                    let fraction_starts = next == '.'
                        && !decimal
                        && text[next_offset + 1..]
                            .starts_with(|after: char| after.is_ascii_digit());
                    if !next.is_ascii_digit() && !fraction_starts {
                        break;
                    }
                    decimal |= next == '.';
                    end = next_offset + next.len_utf8();
                    characters.next();
                }
                let literal = &text[offset..end];
                let invalid = || {
                    (
                        position,
                        ExpressionErrorKind::InvalidNumber(literal.to_owned()),
                    )
                };
                if decimal {
                    TokenKind::Decimal(literal.parse().map_err(|_| invalid())?)
                } else {
                    TokenKind::Integer(literal.parse().map_err(|_| invalid())?)
                }
            }
            c if c == '@' || c == '_' || c.is_alphabetic() => {
                let end = name_end(&mut characters, offset + c.len_utf8());
                TokenKind::Identifier(text[offset..end].to_owned())
            }
            other => return Err((position, ExpressionErrorKind::UnexpectedCharacter(other))),
        };
        tokens.push(Token { kind, position });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        position: base + text.len(),
    });
    Ok(tokens)
}

/// Whether the next token must be an operand (a value), not an operator:
/// at the start, or after an operator, `(`, `,` or `.`. There a `*` can only
/// open an encrypted name such as `*myPassword` (dp-pipeline-characters.md),
/// so `#{*myPassword}` and `#{a * *myFactor}` read as names while `#{a*b}`
/// stays a product.
fn expects_operand(tokens: &[Token]) -> bool {
    tokens.last().is_none_or(|token| {
        matches!(
            token.kind,
            TokenKind::Operator(_) | TokenKind::OpenParen | TokenKind::Comma | TokenKind::Dot
        )
    })
}

/// Whether a name starts at byte `offset` of `text`.
fn starts_name(text: &str, offset: usize) -> bool {
    text.get(offset..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|first| first == '@' || first == '_' || first.is_alphabetic())
}

/// Consumes the rest of a name whose first character ends at byte `end`;
/// returns the byte offset where the name ends.
fn name_end(characters: &mut Peekable<CharIndices<'_>>, mut end: usize) -> usize {
    while let Some(&(next_offset, next)) = characters.peek() {
        if !(next == '_' || next.is_alphanumeric()) {
            break;
        }
        end = next_offset + next.len_utf8();
        characters.next();
    }
    end
}

/// The byte offset of the `}` closing an expression that starts at `from`,
/// skipping braces inside quoted strings; `None` when there is none.
pub(crate) fn closing_brace(text: &str, from: usize) -> Option<usize> {
    let mut quote = None;
    let mut characters = text.get(from..)?.char_indices();
    while let Some((offset, character)) = characters.next() {
        match (quote, character) {
            (Some(_), '\\') => {
                characters.next();
            }
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(character),
            (None, '}') => return Some(from + offset),
            (None, _) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text, 0)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn tokens_of_every_kind() {
        use TokenKind::*;
        assert_eq!(
            kinds("format(node.@start, 'a\\'b') + 1.5 ^ -2"),
            [
                Identifier("format".into()),
                OpenParen,
                Identifier("node".into()),
                Dot,
                Identifier("@start".into()),
                Comma,
                String("a'b".into()),
                CloseParen,
                Operator('+'),
                Decimal(1.5),
                Operator('^'),
                Operator('-'),
                Integer(2),
                End
            ]
        );
        assert_eq!(kinds("\"x}\""), [String("x}".into()), End]);
        assert_eq!(kinds("1."), [Integer(1), Dot, End]);
    }

    #[test]
    fn a_star_opens_an_encrypted_name_where_a_value_is_expected() {
        use TokenKind::*;
        assert_eq!(
            kinds("*myPassword"),
            [Identifier("*myPassword".into()), End]
        );
        assert_eq!(
            kinds("a*b"),
            [
                Identifier("a".into()),
                Operator('*'),
                Identifier("b".into()),
                End
            ]
        );
        assert_eq!(
            kinds("f(*myA, db.*password) * *myB"),
            [
                Identifier("f".into()),
                OpenParen,
                Identifier("*myA".into()),
                Comma,
                Identifier("db".into()),
                Dot,
                Identifier("*password".into()),
                CloseParen,
                Operator('*'),
                Identifier("*myB".into()),
                End
            ]
        );
        assert_eq!(kinds("* 2"), [Operator('*'), Integer(2), End]);
    }

    #[test]
    fn positions_include_the_base() {
        let tokens = tokenize(" a + b", 10).unwrap();
        let positions: Vec<usize> = tokens.iter().map(|token| token.position).collect();
        assert_eq!(positions, [11, 13, 15, 16]);
    }

    #[test]
    fn lexical_errors_say_where() {
        assert_eq!(
            tokenize("a ? b", 5),
            Err((7, ExpressionErrorKind::UnexpectedCharacter('?')))
        );
        assert_eq!(
            tokenize("'open", 0),
            Err((0, ExpressionErrorKind::UnterminatedString))
        );
        let huge = "99999999999999999999";
        assert_eq!(
            tokenize(huge, 0),
            Err((0, ExpressionErrorKind::InvalidNumber(huge.into())))
        );
    }

    #[test]
    fn closing_braces_inside_strings_do_not_count() {
        assert_eq!(closing_brace("#{a}", 2), Some(3));
        assert_eq!(closing_brace("#{f('}')} x", 2), Some(8));
        assert_eq!(closing_brace("#{f('\\'}')}", 2), Some(10));
        assert_eq!(closing_brace("#{'}", 2), None);
        assert_eq!(closing_brace("#{a", 2), None);
        assert_eq!(closing_brace("é", 1), None, "not a character boundary");
    }
}
