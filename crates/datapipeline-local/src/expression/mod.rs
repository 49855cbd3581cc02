//! Data Pipeline expressions: the `#{…}` inside string field values.
//!
//! AWS evaluates expressions in the service, before objects reach a task
//! runner, and through the EvaluateExpression operation; this module does
//! the same for the local service. It is pure: no I/O, no clock.
//!
//! [`evaluate_template`] replaces every `#{…}` in a text, which is what
//! fields and EvaluateExpression (`"#{format(@scheduledStartTime,'YYYY')}"`)
//! need; [`evaluate_expression`] evaluates one bare expression to a
//! [`Value`]. Both read names through a [`Scope`].
//!
//! # Language
//!
//! - Names: `@scheduledStartTime`, `myField` and other fields of the current
//!   object; `node.field` follows a reference field to the referenced
//!   object, and paths chain (`a.b.c`); a reference field read last yields
//!   the referenced id. A bare name that is a parameter id is the
//!   parameter's value, even when a field has the same name, because AWS
//!   substitutes parameters at activation. Repeated fields and array
//!   parameters yield their values joined with `,`. A field value that is
//!   itself a template is evaluated in the context of its own object.
//! - Methods: `value.function(arguments)` is `function(value, arguments)`,
//!   so `@scheduledStartTime.format('YYYY')` formats the time, as the
//!   Guide's examples write it; methods chain (`x.plusDays(1).format(…)`).
//! - Literals: strings in `'…'` or `"…"` (a backslash escapes the next
//!   character), integers (64-bit), decimals (`1.5`).
//! - Operators: `+ - * / ^`, unary minus and parentheses, with the usual
//!   precedence (`^` binds tightest and is right-associative). Text that
//!   holds a number is converted, so `myCount * 2` works on a field. `+`
//!   adds when at least one side is a number (literal or result) and the
//!   other converts; otherwise, when a side is text, it concatenates, so
//!   `'1' + '2'` is `"12"`. A date time plus or minus a period in text
//!   (`@scheduledStartTime + '1 day'`) is a date time. Integer `/`
//!   truncates, as in Java. Overflow and division by zero are errors.
//! - Date times are text of the form `YYYY-MM-DDTHH:MM:SS`, UTC; functions
//!   convert such text, and date times render back in that form.
//!
//! # Functions
//!
//! As the Developer Guide documents them (names are case-sensitive):
//! `format(dateTime, pattern)` with a Joda-Time pattern (see below);
//! `plusMinutes`, `plusHours`, `plusDays`, `plusWeeks`, `plusMonths`,
//! `plusYears` and the `minus…` forms `(dateTime, integer)`, months and
//! years calendar-aware; `minute`, `hour`, `day`, `dayOfYear`, `month`,
//! `year(dateTime)` → integer; `makeDate(year, month, day)`,
//! `makeDateTime(year, month, day, hour, minute)`; `midnight`,
//! `firstOfMonth` (time of day kept), `sunday` (the Sunday on or before, time
//! kept), `yesterday(dateTime)`; `inTimeZone(dateTime, zone)` for UTC only.
//!
//! Patterns: `y`/`Y` year, `M` month (`MMM`, `MMMM` names), `d` day, `D` day
//! of year, `H`/`k`/`h`/`K` hours, `m` minutes, `s` seconds, `S` fraction,
//! `E` day name, `e` day number, `a` AM/PM, `G` era, `z` (`UTC`), `Z`
//! (`+0000`); `'literal'` text. Other letters are errors.
//!
//! Left out: time zones other than UTC, comparison and logical operators
//! (AWS has none), and `node` as "the object referencing this one" (here
//! `node` is an ordinary reference field).
//!
//! # Limits
//!
//! No input makes evaluation panic or overflow the stack: expressions nest
//! at most [`MAX_DEPTH`] levels, field values expand into each other at most
//! [`MAX_FIELD_DEPTH`] levels, and one evaluation takes at most
//! [`MAX_STEPS`] steps.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use datapipeline_local::expression::{evaluate_template, Scope};
//! use datapipeline_local::model::{Field, PipelineObject};
//!
//! let object = PipelineObject {
//!     id: "@Copy_2024-01-31T00:00:00".into(),
//!     name: "Copy".into(),
//!     fields: vec![Field::string("@scheduledStartTime", "2024-01-31T00:00:00")],
//! };
//! let objects = BTreeMap::new();
//! let parameters = BTreeMap::from([("myBucket".to_owned(), vec!["logs".to_owned()])]);
//! let scope = Scope::new(&object, &objects, &parameters);
//! let path = evaluate_template("s3://#{myBucket}/#{format(plusMonths(@scheduledStartTime, 1), 'YYYY-MM-dd')}", &scope)?;
//! assert_eq!(path, "s3://logs/2024-02-29");
//! # Ok::<(), datapipeline_local::expression::ExpressionError>(())
//! ```

mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
mod pattern;
mod value;

#[cfg(test)]
mod tests;

pub use error::{ExpressionError, ExpressionErrorKind};
pub use eval::{evaluate_expression, evaluate_template, Scope};
pub use value::Value;

pub(crate) use functions::is_known as is_known_function;
pub(crate) use parser::{template_usages, Usage};
pub(crate) use value::parse_date_time;

/// How deeply one expression may nest: parentheses, unary minus, calls and
/// chained operators each add a level.
pub const MAX_DEPTH: usize = 64;

/// How many field values may expand into one another (`#{a}` whose `a` is
/// `#{b}`, …) before evaluation stops; also catches fields that refer to
/// themselves.
pub const MAX_FIELD_DEPTH: usize = 16;

/// How many expression nodes one evaluation may visit.
pub const MAX_STEPS: usize = 100_000;
