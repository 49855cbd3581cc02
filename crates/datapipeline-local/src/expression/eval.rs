//! Evaluation: templates, names, operators and calls.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::definition::{is_encrypted_key, Period};
use crate::model::{FieldValue, PipelineObject};

use super::error::{ExpressionError, ExpressionErrorKind};
use super::functions;
use super::lexer::closing_brace;
use super::parser::{parse, Expr, Operator};
use super::value::{Number, Value};
use super::{MAX_FIELD_DEPTH, MAX_STEPS};

/// What an expression can see: the object it belongs to, every object of the
/// pipeline (for `node.field` paths), and the parameter values.
///
/// The objects should hold effective fields
/// ([`effective_objects`](crate::definition::effective_objects)), so that
/// inherited fields resolve; the parameters come from
/// [`parameter_table`](crate::definition::parameter_table).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The object whose field is being evaluated.
    pub object: &'a PipelineObject,
    /// Every object of the pipeline, by id.
    pub objects: &'a BTreeMap<String, PipelineObject>,
    /// Every parameter's values, by id.
    pub parameters: &'a BTreeMap<String, Vec<String>>,
}

impl<'a> Scope<'a> {
    /// A scope.
    pub fn new(
        object: &'a PipelineObject,
        objects: &'a BTreeMap<String, PipelineObject>,
        parameters: &'a BTreeMap<String, Vec<String>>,
    ) -> Self {
        Self {
            object,
            objects,
            parameters,
        }
    }
}

/// Replaces every `#{expression}` in `text` by its value. Text without `#{`
/// comes back unchanged, and a `#` not followed by `{` is literal.
///
/// # Errors
/// An [`ExpressionError`] naming the expression and the byte position in
/// `text` of the first problem, e.g. an unterminated `#{`.
pub fn evaluate_template(text: &str, scope: &Scope<'_>) -> Result<String, ExpressionError> {
    let evaluator = Evaluator::new(scope);
    let result = evaluator.template(text, scope.object, 0);
    result.map_err(|error| evaluator.hide_secrets(error))
}

/// Evaluates one bare expression, such as `plusDays(@scheduledStartTime, 1)`
/// (no `#{…}` around it).
///
/// # Errors
/// An [`ExpressionError`] naming the position in `expression`.
pub fn evaluate_expression(expression: &str, scope: &Scope<'_>) -> Result<Value, ExpressionError> {
    let expr = parse(expression, 0)?;
    let evaluator = Evaluator::new(scope);
    let result = evaluator.eval(&expr, expression, scope.object, 0);
    result.map_err(|error| evaluator.hide_secrets(error))
}

/// One evaluation's state.
struct Evaluator<'a> {
    /// What the expressions see.
    scope: &'a Scope<'a>,
    /// Nodes evaluated so far, bounded by [`MAX_STEPS`] because field values
    /// that expand into each other can multiply the work.
    steps: Cell<usize>,
    /// The values read from encrypted names (`*myPassword`, `*password`) so
    /// far, which an error message must not show.
    secrets: RefCell<Vec<String>>,
}

impl<'a> Evaluator<'a> {
    /// A fresh evaluation in `scope`.
    fn new(scope: &'a Scope<'a>) -> Self {
        Self {
            scope,
            steps: Cell::new(0),
            secrets: RefCell::new(Vec::new()),
        }
    }

    /// `error` with every encrypted value read during the evaluation hidden,
    /// so it can be logged and answered safely.
    fn hide_secrets(&self, mut error: ExpressionError) -> ExpressionError {
        for secret in self
            .secrets
            .borrow()
            .iter()
            .filter(|secret| !secret.is_empty())
        {
            error.hide(secret);
        }
        error
    }

    /// Remembers `value` as secret when `name` is encrypted.
    fn note_secret(&self, name: &str, value: &str) {
        if is_encrypted_key(name) {
            self.secrets.borrow_mut().push(value.to_owned());
        }
    }

    /// `text` with its expressions replaced, evaluated for `object`; `depth`
    /// counts the field values being expanded around it.
    fn template(
        &self,
        text: &str,
        object: &PipelineObject,
        depth: usize,
    ) -> Result<String, ExpressionError> {
        let mut output = String::with_capacity(text.len());
        let mut rest = 0;
        while let Some(found) = text.get(rest..).and_then(|remaining| remaining.find("#{")) {
            let start = rest + found;
            output.push_str(&text[rest..start]);
            let Some(end) = closing_brace(text, start + 2) else {
                let shown: String = text[start..].chars().take(40).collect();
                return Err(ExpressionError::new(
                    shown,
                    start,
                    ExpressionErrorKind::Unterminated,
                ));
            };
            let body = &text[start + 2..end];
            let expr = parse(body, start + 2)?;
            output.push_str(&self.eval(&expr, body, object, depth)?.to_string());
            rest = end + 1;
        }
        output.push_str(text.get(rest..).unwrap_or_default());
        Ok(output)
    }

    /// The value of `expr`, part of the expression text `source`.
    fn eval(
        &self,
        expr: &Expr,
        source: &str,
        object: &PipelineObject,
        depth: usize,
    ) -> Result<Value, ExpressionError> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        let fail = |position: usize, kind| ExpressionError::new(source, position, kind);
        if steps > MAX_STEPS {
            return Err(fail(0, ExpressionErrorKind::TooComplex(MAX_STEPS)));
        }
        match expr {
            Expr::Integer(value) => Ok(Value::Integer(*value)),
            Expr::Decimal(value) => Ok(Value::Decimal(*value)),
            Expr::String(value) => Ok(Value::String(value.clone())),
            Expr::Path { segments, position } => self
                .path(segments, object, depth)
                .map_err(|kind| fail(*position, kind)),
            Expr::Call {
                name,
                arguments,
                position,
            } => {
                if !functions::is_known(name) {
                    return Err(fail(
                        *position,
                        ExpressionErrorKind::UnknownFunction(name.clone()),
                    ));
                }
                let arguments = arguments
                    .iter()
                    .map(|argument| self.eval(argument, source, object, depth))
                    .collect::<Result<Vec<_>, _>>()?;
                functions::call(name, &arguments).map_err(|kind| fail(*position, kind))
            }
            Expr::Negate { operand, position } => {
                let operand = self.eval(operand, source, object, depth)?;
                negate(&operand).map_err(|kind| fail(*position, kind))
            }
            Expr::Binary {
                operator,
                left,
                right,
                position,
            } => {
                let left = self.eval(left, source, object, depth)?;
                let right = self.eval(right, source, object, depth)?;
                binary(*operator, &left, &right).map_err(|kind| fail(*position, kind))
            }
        }
    }

    /// The value of a name or path, looked up from `object`.
    ///
    /// A bare name is a parameter if one has that id (parameters are
    /// substituted at activation in AWS, so they win), else a field of the
    /// object. In `a.b.c`, `a` and `b` must be references; `c` is read from
    /// the object `b` names. A reference read last yields the referenced id.
    fn path(
        &self,
        segments: &[String],
        object: &PipelineObject,
        depth: usize,
    ) -> Result<Value, ExpressionErrorKind> {
        let Some((last, steps)) = segments.split_last() else {
            return Err(ExpressionErrorKind::Empty);
        };
        if steps.is_empty() {
            if let Some(values) = self.scope.parameters.get(last) {
                let joined = values.join(",");
                for value in values {
                    self.note_secret(last, value);
                }
                self.note_secret(last, &joined);
                return Ok(Value::String(joined));
            }
        }
        let mut current = object;
        for step in steps {
            let id = match first_value(current, step)? {
                FieldValue::Ref(id) => id,
                FieldValue::String(_) => {
                    return Err(ExpressionErrorKind::NotAReference {
                        name: step.clone(),
                        object: current.id.clone(),
                    })
                }
            };
            current = self
                .scope
                .objects
                .get(id)
                .ok_or_else(|| ExpressionErrorKind::UnknownObject(id.clone()))?;
        }
        first_value(current, last)?;
        let mut parts = Vec::new();
        for value in current.values(last) {
            parts.push(match value {
                FieldValue::Ref(id) => id.clone(),
                FieldValue::String(text) if text.contains("#{") => {
                    self.expand(text, last, current, depth)?
                }
                FieldValue::String(text) => text.clone(),
            });
        }
        for part in &parts {
            self.note_secret(last, part);
        }
        let joined = parts.join(",");
        self.note_secret(last, &joined);
        Ok(Value::String(joined))
    }

    /// A field value that is itself a template, evaluated for its object.
    fn expand(
        &self,
        text: &str,
        field: &str,
        object: &PipelineObject,
        depth: usize,
    ) -> Result<String, ExpressionErrorKind> {
        if depth >= MAX_FIELD_DEPTH {
            return Err(ExpressionErrorKind::TooDeep(MAX_FIELD_DEPTH));
        }
        self.template(text, object, depth + 1)
            .map_err(|error| match error.kind {
                // Keep the budget error flat: nesting it once per level would
                // only repeat the same message.
                ExpressionErrorKind::TooComplex(_)
                | ExpressionErrorKind::TooDeep(MAX_FIELD_DEPTH) => error.kind,
                _ => ExpressionErrorKind::InField {
                    field: field.to_owned(),
                    object: object.id.clone(),
                    inner: Box::new(error),
                },
            })
    }
}

/// The first value of `key` on `object`, or an unknown-field error.
fn first_value<'a>(
    object: &'a PipelineObject,
    key: &str,
) -> Result<&'a FieldValue, ExpressionErrorKind> {
    object
        .fields
        .iter()
        .find(|field| field.key == key)
        .map(|field| &field.value)
        .ok_or_else(|| ExpressionErrorKind::UnknownField {
            name: key.to_owned(),
            object: object.id.clone(),
        })
}

/// Unary minus.
fn negate(operand: &Value) -> Result<Value, ExpressionErrorKind> {
    match operand.as_number() {
        Some(Number::Integer(value)) => value
            .checked_neg()
            .map(Value::Integer)
            .ok_or(ExpressionErrorKind::Overflow),
        Some(Number::Decimal(value)) => Ok(Value::Decimal(-value)),
        None => Err(ExpressionErrorKind::InvalidOperand {
            operator: '-',
            operand: operand.describe(),
        }),
    }
}

/// A binary operation; see the module documentation for the rules.
fn binary(operator: Operator, left: &Value, right: &Value) -> Result<Value, ExpressionErrorKind> {
    if let (Operator::Add | Operator::Subtract, Some(time), Value::String(text)) =
        (operator, left.as_date_time(), right)
    {
        if let Ok(period) = Period::parse(text) {
            return date_time_plus(operator, time, period);
        }
    }
    // `+` adds only when a real number takes part, so that `'1' + '2'` is
    // "12" while `myCount + 1` (a field, hence text) still adds.
    let numeric = operator != Operator::Add || left.is_number() || right.is_number();
    match (left.as_number(), right.as_number()) {
        (Some(Number::Integer(left)), Some(Number::Integer(right))) if numeric => {
            integer_operation(operator, left, right)
        }
        (Some(left), Some(right)) if numeric => {
            decimal_operation(operator, to_decimal(left), to_decimal(right))
        }
        _ if operator == Operator::Add
            && (matches!(left, Value::String(_)) || matches!(right, Value::String(_))) =>
        {
            Ok(Value::String(format!("{left}{right}")))
        }
        _ => Err(ExpressionErrorKind::InvalidOperands {
            operator: operator.symbol(),
            left: left.describe(),
            right: right.describe(),
        }),
    }
}

/// A date time plus or minus a period.
fn date_time_plus(
    operator: Operator,
    time: chrono::NaiveDateTime,
    period: Period,
) -> Result<Value, ExpressionErrorKind> {
    let moved = if operator == Operator::Add {
        period.checked_add_to(time)
    } else {
        period.checked_subtract_from(time)
    };
    moved
        .map(Value::DateTime)
        .ok_or(ExpressionErrorKind::Overflow)
}

/// A number as a decimal.
fn to_decimal(number: Number) -> f64 {
    match number {
        // Precision loss past 2^53 is inherent to mixing with decimals.
        Number::Integer(value) => value as f64,
        Number::Decimal(value) => value,
    }
}

/// Integer arithmetic: checked, and `/` truncates as in Java.
fn integer_operation(
    operator: Operator,
    left: i64,
    right: i64,
) -> Result<Value, ExpressionErrorKind> {
    let result = match operator {
        Operator::Add => left.checked_add(right),
        Operator::Subtract => left.checked_sub(right),
        Operator::Multiply => left.checked_mul(right),
        Operator::Divide if right == 0 => return Err(ExpressionErrorKind::DivisionByZero),
        Operator::Divide => left.checked_div(right),
        // A negative exponent has a fractional result.
        Operator::Power if right < 0 => {
            return decimal_operation(
                operator,
                to_decimal(Number::Integer(left)),
                to_decimal(Number::Integer(right)),
            )
        }
        Operator::Power => u32::try_from(right)
            .ok()
            .and_then(|exponent| left.checked_pow(exponent)),
    };
    result
        .map(Value::Integer)
        .ok_or(ExpressionErrorKind::Overflow)
}

/// Decimal arithmetic; a non-finite result is an overflow.
fn decimal_operation(
    operator: Operator,
    left: f64,
    right: f64,
) -> Result<Value, ExpressionErrorKind> {
    let result = match operator {
        Operator::Add => left + right,
        Operator::Subtract => left - right,
        Operator::Multiply => left * right,
        Operator::Divide if right == 0.0 => return Err(ExpressionErrorKind::DivisionByZero),
        Operator::Divide => left / right,
        Operator::Power => left.powf(right),
    };
    if result.is_finite() {
        Ok(Value::Decimal(result))
    } else {
        Err(ExpressionErrorKind::Overflow)
    }
}
