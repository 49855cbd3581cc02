//! Parses tokens into an expression tree.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! sum     := product (('+' | '-') product)*
//! product := unary (('*' | '/') unary)*
//! unary   := '-' unary | power
//! power   := primary ('^' unary)?          right-associative
//! primary := (number | string | call | path | '(' sum ')') method*
//! call    := name '(' (sum (',' sum)*)? ')'
//! path    := name ('.' name)*
//! method  := '.' name '(' (sum (',' sum)*)? ')'
//! ```
//!
//! A method is another way to write a call, with the value before the dot
//! as its first argument: `@scheduledStartTime.format('YYYY')` is
//! `format(@scheduledStartTime, 'YYYY')`. The Guide's examples write it so
//! (dp-object-exists.md, dp-object-sqldatanode.md).
//!
//! The tree's depth is bounded by [`MAX_DEPTH`], both to
//! bound the parser's own recursion and so that evaluation, which recurses
//! over the tree, cannot overflow the stack on any input.

use super::error::{ExpressionError, ExpressionErrorKind};
use super::lexer::{closing_brace, tokenize, Token, TokenKind};
use super::MAX_DEPTH;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    /// `+`: addition, concatenation, or a date time plus a period.
    Add,
    /// `-`: subtraction, or a date time minus a period.
    Subtract,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `^`.
    Power,
}

impl Operator {
    /// The operator's symbol.
    pub(crate) fn symbol(self) -> char {
        match self {
            Self::Add => '+',
            Self::Subtract => '-',
            Self::Multiply => '*',
            Self::Divide => '/',
            Self::Power => '^',
        }
    }
}

/// An expression tree. Positions are byte offsets in the evaluated text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// An integer literal.
    Integer(i64),
    /// A decimal literal.
    Decimal(f64),
    /// A string literal.
    String(String),
    /// A name or a path of names: `myField`, `input.directoryPath`.
    Path {
        segments: Vec<String>,
        position: usize,
    },
    /// A function call.
    Call {
        name: String,
        arguments: Vec<Expr>,
        position: usize,
    },
    /// Unary minus.
    Negate { operand: Box<Expr>, position: usize },
    /// A binary operation.
    Binary {
        operator: Operator,
        left: Box<Expr>,
        right: Box<Expr>,
        position: usize,
    },
}

impl Expr {
    /// Calls `visit` on this node and every node below it.
    pub(crate) fn walk(&self, visit: &mut impl FnMut(&Expr)) {
        visit(self);
        match self {
            Self::Call { arguments, .. } => {
                arguments.iter().for_each(|argument| argument.walk(visit));
            }
            Self::Negate { operand, .. } => operand.walk(visit),
            Self::Binary { left, right, .. } => {
                left.walk(visit);
                right.walk(visit);
            }
            Self::Integer(_) | Self::Decimal(_) | Self::String(_) | Self::Path { .. } => {}
        }
    }
}

/// Parses `text`, found at offset `base` of the evaluated text, as one whole
/// expression.
///
/// # Errors
/// An [`ExpressionError`] naming `text` and the position of the problem.
pub(crate) fn parse(text: &str, base: usize) -> Result<Expr, ExpressionError> {
    let error = |(position, kind)| ExpressionError::new(text, position, kind);
    let tokens = tokenize(text, base).map_err(error)?;
    if tokens.len() == 1 {
        return Err(error((base, ExpressionErrorKind::Empty)));
    }
    let mut parser = Parser { tokens, next: 0 };
    let (expr, _) = parser.sum(0).map_err(error)?;
    parser.expect_end().map_err(error)?;
    Ok(expr)
}

/// What a template's expressions use, for validation without evaluating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Usage {
    /// A name or path, e.g. `myBucket` or `input.directoryPath`.
    Path(Vec<String>),
    /// A function call by name.
    Function(String),
}

/// Every name and function used by the `#{…}` expressions of `text`.
///
/// # Errors
/// The first syntax error, as evaluation would report it.
pub(crate) fn template_usages(text: &str) -> Result<Vec<Usage>, ExpressionError> {
    let mut usages = Vec::new();
    let mut rest = 0;
    while let Some(found) = text.get(rest..).and_then(|remaining| remaining.find("#{")) {
        let start = rest + found;
        let Some(end) = closing_brace(text, start + 2) else {
            let shown: String = text[start..].chars().take(40).collect();
            return Err(ExpressionError::new(
                shown,
                start,
                ExpressionErrorKind::Unterminated,
            ));
        };
        parse(&text[start + 2..end], start + 2)?.walk(&mut |expr| match expr {
            Expr::Path { segments, .. } => usages.push(Usage::Path(segments.clone())),
            Expr::Call { name, .. } => usages.push(Usage::Function(name.clone())),
            _ => {}
        });
        rest = end + 1;
    }
    Ok(usages)
}

/// A parse error before it is given the expression's text.
type Failure = (usize, ExpressionErrorKind);

/// A parsed subtree and its depth.
type Parsed = Result<(Expr, usize), Failure>;

/// The parser's state: the tokens and the next one to read.
struct Parser {
    /// Every token, ending with [`TokenKind::End`].
    tokens: Vec<Token>,
    /// The index of the next token.
    next: usize,
}

impl Parser {
    /// The next token, without consuming it; [`TokenKind::End`] forever at
    /// the end.
    fn peek(&self) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.next.min(last)]
    }

    /// Consumes and returns the next token.
    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        self.next += 1;
        token
    }

    /// An error: `expected` was wanted where the next token is.
    fn unexpected(&self, expected: &'static str) -> Failure {
        let token = self.peek();
        (
            token.position,
            ExpressionErrorKind::UnexpectedToken {
                expected,
                found: token.kind.describe(),
            },
        )
    }

    /// Fails unless every token was consumed.
    fn expect_end(&self) -> Result<(), Failure> {
        match self.peek().kind {
            TokenKind::End => Ok(()),
            _ => Err(self.unexpected("an operator or the end of the expression")),
        }
    }

    /// Fails when `depth` exceeds the limit.
    fn check_depth(&self, depth: usize) -> Result<(), Failure> {
        if depth > MAX_DEPTH {
            return Err((
                self.peek().position,
                ExpressionErrorKind::TooDeep(MAX_DEPTH),
            ));
        }
        Ok(())
    }

    /// Combines `left` and `right` under `operator`, checking the depth.
    fn binary(
        &self,
        operator: Operator,
        position: usize,
        left: (Expr, usize),
        right: (Expr, usize),
    ) -> Parsed {
        let depth = 1 + left.1.max(right.1);
        self.check_depth(depth)?;
        let expr = Expr::Binary {
            operator,
            left: Box::new(left.0),
            right: Box::new(right.0),
            position,
        };
        Ok((expr, depth))
    }

    /// `sum := product (('+' | '-') product)*`; `nesting` is how deep the
    /// parser already recursed.
    fn sum(&mut self, nesting: usize) -> Parsed {
        self.check_depth(nesting)?;
        let mut left = self.product(nesting)?;
        while let TokenKind::Operator(symbol @ ('+' | '-')) = self.peek().kind {
            let position = self.advance().position;
            let right = self.product(nesting)?;
            let operator = if symbol == '+' {
                Operator::Add
            } else {
                Operator::Subtract
            };
            left = self.binary(operator, position, left, right)?;
        }
        Ok(left)
    }

    /// `product := unary (('*' | '/') unary)*`.
    fn product(&mut self, nesting: usize) -> Parsed {
        let mut left = self.unary(nesting)?;
        while let TokenKind::Operator(symbol @ ('*' | '/')) = self.peek().kind {
            let position = self.advance().position;
            let right = self.unary(nesting)?;
            let operator = if symbol == '*' {
                Operator::Multiply
            } else {
                Operator::Divide
            };
            left = self.binary(operator, position, left, right)?;
        }
        Ok(left)
    }

    /// `unary := '-' unary | power`.
    fn unary(&mut self, nesting: usize) -> Parsed {
        self.check_depth(nesting)?;
        if self.peek().kind == TokenKind::Operator('-') {
            let position = self.advance().position;
            let (operand, depth) = self.unary(nesting + 1)?;
            self.check_depth(depth + 1)?;
            return Ok((
                Expr::Negate {
                    operand: Box::new(operand),
                    position,
                },
                depth + 1,
            ));
        }
        self.power(nesting)
    }

    /// `power := primary ('^' unary)?`.
    fn power(&mut self, nesting: usize) -> Parsed {
        let base = self.primary(nesting)?;
        if self.peek().kind != TokenKind::Operator('^') {
            return Ok(base);
        }
        let position = self.advance().position;
        let exponent = self.unary(nesting + 1)?;
        self.binary(Operator::Power, position, base, exponent)
    }

    /// `primary := (number | string | call | path | '(' sum ')') method*`.
    fn primary(&mut self, nesting: usize) -> Parsed {
        let (receiver, depth) = self.operand(nesting)?;
        self.methods(receiver, depth, nesting)
    }

    /// Whether the next tokens open a method: `.`, a name and `(`.
    fn method_follows(&self) -> bool {
        let kind = |offset: usize| self.tokens.get(self.next + offset).map(|token| &token.kind);
        matches!(kind(0), Some(TokenKind::Dot))
            && matches!(kind(1), Some(TokenKind::Identifier(_)))
            && matches!(kind(2), Some(TokenKind::OpenParen))
    }

    /// `receiver` followed by any methods, each a call taking what comes
    /// before it as its first argument.
    fn methods(&mut self, mut receiver: Expr, mut depth: usize, nesting: usize) -> Parsed {
        while self.method_follows() {
            self.advance();
            let token = self.advance();
            self.advance();
            let TokenKind::Identifier(name) = token.kind else {
                return Err(self.unexpected("a function name"));
            };
            let (mut arguments, arguments_depth) = self.arguments(nesting + 1)?;
            arguments.insert(0, receiver);
            depth = (depth + 1).max(arguments_depth);
            self.check_depth(depth)?;
            receiver = Expr::Call {
                name,
                arguments,
                position: token.position,
            };
        }
        Ok((receiver, depth))
    }

    /// `number | string | call | path | '(' sum ')'`.
    fn operand(&mut self, nesting: usize) -> Parsed {
        let token = self.advance();
        match token.kind {
            TokenKind::Integer(value) => Ok((Expr::Integer(value), 1)),
            TokenKind::Decimal(value) => Ok((Expr::Decimal(value), 1)),
            TokenKind::String(value) => Ok((Expr::String(value), 1)),
            TokenKind::OpenParen => {
                let inner = self.sum(nesting + 1)?;
                self.expect(&TokenKind::CloseParen, "')'")?;
                Ok(inner)
            }
            TokenKind::Identifier(name) if self.peek().kind == TokenKind::OpenParen => {
                self.advance();
                self.call(name, token.position, nesting + 1)
            }
            TokenKind::Identifier(name) => {
                let mut segments = vec![name];
                while self.peek().kind == TokenKind::Dot && !self.method_follows() {
                    self.advance();
                    match self.advance().kind {
                        TokenKind::Identifier(name) => segments.push(name),
                        _ => {
                            self.next -= 1;
                            return Err(self.unexpected("a field name after '.'"));
                        }
                    }
                }
                Ok((
                    Expr::Path {
                        segments,
                        position: token.position,
                    },
                    1,
                ))
            }
            _ => {
                self.next -= 1;
                Err(self.unexpected("a value, a name, a function call or '('"))
            }
        }
    }

    /// The arguments of a call, after its `(`.
    fn call(&mut self, name: String, position: usize, nesting: usize) -> Parsed {
        let (arguments, depth) = self.arguments(nesting)?;
        Ok((
            Expr::Call {
                name,
                arguments,
                position,
            },
            depth,
        ))
    }

    /// A call's arguments up to and including its `)`, and the depth of the
    /// call they make.
    fn arguments(&mut self, nesting: usize) -> Result<(Vec<Expr>, usize), Failure> {
        let mut arguments = Vec::new();
        let mut depth = 1;
        if self.peek().kind == TokenKind::CloseParen {
            self.advance();
            return Ok((arguments, depth));
        }
        loop {
            let (argument, argument_depth) = self.sum(nesting)?;
            depth = depth.max(argument_depth + 1);
            self.check_depth(depth)?;
            arguments.push(argument);
            match self.advance().kind {
                TokenKind::Comma => {}
                TokenKind::CloseParen => return Ok((arguments, depth)),
                _ => {
                    self.next -= 1;
                    return Err(self.unexpected("',' or ')'"));
                }
            }
        }
    }

    /// Consumes a token of `kind` or fails naming `expected`.
    fn expect(&mut self, kind: &TokenKind, expected: &'static str) -> Result<(), Failure> {
        if self.peek().kind != *kind {
            return Err(self.unexpected(expected));
        }
        self.advance();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(expr: &Expr) -> String {
        match expr {
            Expr::Integer(value) => value.to_string(),
            Expr::Decimal(value) => value.to_string(),
            Expr::String(value) => format!("'{value}'"),
            Expr::Path { segments, .. } => segments.join("."),
            Expr::Call {
                name, arguments, ..
            } => {
                let arguments: Vec<String> = arguments.iter().map(render).collect();
                format!("{name}({})", arguments.join(", "))
            }
            Expr::Negate { operand, .. } => format!("(-{})", render(operand)),
            Expr::Binary {
                operator,
                left,
                right,
                ..
            } => {
                format!("({} {} {})", render(left), operator.symbol(), render(right))
            }
        }
    }

    fn parsed(text: &str) -> String {
        render(&parse(text, 0).unwrap())
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(parsed("1 + 2 * 3 - 4"), "((1 + (2 * 3)) - 4)");
        assert_eq!(parsed("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
        assert_eq!(parsed("-2 ^ 2"), "(-(2 ^ 2))");
        assert_eq!(parsed("2 ^ -1"), "(2 ^ (-1))");
        assert_eq!(parsed("(1 + 2) * 3"), "((1 + 2) * 3)");
        assert_eq!(parsed("8 / 4 / 2"), "((8 / 4) / 2)");
    }

    #[test]
    fn calls_and_paths() {
        assert_eq!(
            parsed("format(plusDays(@start, 1), 'YYYY')"),
            "format(plusDays(@start, 1), 'YYYY')"
        );
        assert_eq!(parsed("f()"), "f()");
        assert_eq!(
            parsed("input.node.directoryPath"),
            "input.node.directoryPath"
        );
        assert_eq!(
            parsed("@scheduledStartTime.format('YYYY')"),
            "format(@scheduledStartTime, 'YYYY')"
        );
        assert_eq!(
            parsed("input.@start.plusDays(1).format('YYYY') + 1"),
            "(format(plusDays(input.@start, 1), 'YYYY') + 1)"
        );
        assert_eq!(parsed("(1).f()"), "f(1)");
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let cases = [
            ("", 0, "empty expression"),
            ("1 +", 3, "expected a value"),
            ("(1", 2, "expected ')'"),
            ("f(1 2)", 4, "expected ',' or ')'"),
            ("a.", 2, "a field name after '.'"),
            ("1 2", 2, "an operator or the end"),
            (")", 0, "expected a value"),
        ];
        for (text, position, message) in cases {
            let error = parse(text, 0).unwrap_err();
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.to_string().contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn usages_list_names_and_functions_of_every_expression() {
        let usages = template_usages("s3://#{myBucket}/#{format(node.@start, 'x')}/#").unwrap();
        assert_eq!(
            usages,
            [
                Usage::Path(vec!["myBucket".into()]),
                Usage::Function("format".into()),
                Usage::Path(vec!["node".into(), "@start".into()]),
            ]
        );
        assert_eq!(
            template_usages("#{a").unwrap_err().kind,
            ExpressionErrorKind::Unterminated
        );
        assert_eq!(template_usages("#{1 +}").unwrap_err().position, 5);
    }

    #[test]
    fn nesting_is_bounded_without_overflowing_the_stack() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(
            parse(&deep, 0).unwrap_err().kind,
            ExpressionErrorKind::TooDeep(_)
        ));
        let negations = "-".repeat(10_000) + "1";
        assert!(matches!(
            parse(&negations, 0).unwrap_err().kind,
            ExpressionErrorKind::TooDeep(_)
        ));
        let long_sum = vec!["1"; 1_000].join(" + ");
        assert!(matches!(
            parse(&long_sum, 0).unwrap_err().kind,
            ExpressionErrorKind::TooDeep(_)
        ));
        let calls = format!("{}1{}", "f(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(
            parse(&calls, 0).unwrap_err().kind,
            ExpressionErrorKind::TooDeep(_)
        ));
        let powers = vec!["2"; 1_000].join(" ^ ");
        assert!(matches!(
            parse(&powers, 0).unwrap_err().kind,
            ExpressionErrorKind::TooDeep(_)
        ));
        assert!(parse(&vec!["1"; 30].join(" + "), 0).is_ok());
    }
}
