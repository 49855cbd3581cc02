//! Fault injection: errors, throttling, latency and dropped connections, per
//! operation, by probability or on the Nth call, from a seeded generator so
//! that a failing run can be repeated.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// What an injected fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Answer `InternalServiceError` (HTTP 500) without touching state.
    InternalError,
    /// Answer `ThrottlingException` (HTTP 400) without touching state.
    Throttle,
    /// Wait this long before handling the request.
    Latency(Duration),
    /// Close the connection without an answer and without touching state.
    Drop,
    /// Handle the request, change state, then close the connection without
    /// an answer: the client cannot tell whether its call took effect.
    DropAfter,
}

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// On each call with this probability, in `0.0..=1.0`.
    Probability(f64),
    /// On the Nth call of the operation (counting from 1), once.
    NthCall(u64),
    /// On every Nth call of the operation.
    EveryNth(u64),
}

/// One fault rule: which operation, what fault, when.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The operation name (`PollForTask`), or `None` for every operation.
    pub operation: Option<String>,
    /// The fault to inject.
    pub fault: Fault,
    /// When to inject it.
    pub trigger: Trigger,
}

/// A set of fault rules and the seed of the generator that draws them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// The generator's seed: the same seed and the same calls give the same
    /// faults.
    pub seed: u64,
    /// The rules, all checked on every call.
    pub rules: Vec<FaultRule>,
}

/// Why a fault rule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault rule '{rule}': {problem} (expected OPERATION:FAULT:WHEN, e.g. PollForTask:error:0.1, *:latency=200ms:1.0, SetTaskStatus:drop-after:nth=3)")]
pub struct FaultRuleError {
    rule: String,
    problem: String,
}

impl FromStr for FaultRule {
    type Err = FaultRuleError;

    /// Parses `OPERATION:FAULT:WHEN` where OPERATION is an operation name or
    /// `*`; FAULT is `error`, `throttle`, `latency=DURATION`, `drop` or
    /// `drop-after`; WHEN is a probability, `nth=N` or `every=N`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |problem: &str| FaultRuleError {
            rule: text.to_owned(),
            problem: problem.to_owned(),
        };
        let mut parts = text.splitn(3, ':');
        let (Some(operation), Some(fault), Some(when)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(error("it needs three parts separated by ':'"));
        };
        let operation = match operation.trim() {
            "" => return Err(error("the operation is empty")),
            "*" => None,
            name => Some(name.to_owned()),
        };
        let fault =
            match fault.trim() {
                "error" => Fault::InternalError,
                "throttle" => Fault::Throttle,
                "drop" => Fault::Drop,
                "drop-after" => Fault::DropAfter,
                other => match other.strip_prefix("latency=") {
                    Some(duration) => Fault::Latency(
                        humantime::parse_duration(duration)
                            .map_err(|e| error(&format!("bad latency: {e}")))?,
                    ),
                    None => return Err(error(
                        "unknown fault; use error, throttle, latency=DURATION, drop or drop-after",
                    )),
                },
            };
        let when = when.trim();
        let trigger = if let Some(n) = when.strip_prefix("nth=") {
            Trigger::NthCall(
                n.parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| error("nth needs a positive integer"))?,
            )
        } else if let Some(n) = when.strip_prefix("every=") {
            Trigger::EveryNth(
                n.parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| error("every needs a positive integer"))?,
            )
        } else {
            let p: f64 = when
                .parse()
                .map_err(|_| error("the trigger is neither a probability nor nth=N nor every=N"))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(error("the probability must be between 0 and 1"));
            }
            Trigger::Probability(p)
        };
        Ok(Self {
            operation,
            fault,
            trigger,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InternalError => formatter.write_str("error"),
            Self::Throttle => formatter.write_str("throttle"),
            Self::Latency(duration) => write!(
                formatter,
                "latency={}",
                humantime::format_duration(*duration)
            ),
            Self::Drop => formatter.write_str("drop"),
            Self::DropAfter => formatter.write_str("drop-after"),
        }
    }
}

/// Draws faults for calls, following a [`FaultPlan`].
#[derive(Debug)]
pub(crate) struct FaultInjector {
    rules: Vec<FaultRule>,
    /// One generator for the whole service, so a seed fixes the sequence of
    /// draws for a given sequence of calls.
    random: Mutex<SmallRng>,
    /// Calls seen per operation, for the Nth-call triggers.
    calls: Mutex<HashMap<String, u64>>,
}

/// The faults drawn for one call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Draw {
    /// Latency to add before anything else.
    pub(crate) latency: Option<Duration>,
    /// The failure to inject, if any: the first rule that fired wins.
    pub(crate) failure: Option<Fault>,
}

impl FaultInjector {
    pub(crate) fn new(plan: &FaultPlan) -> Self {
        Self {
            rules: plan.rules.clone(),
            random: Mutex::new(SmallRng::seed_from_u64(plan.seed)),
            calls: Mutex::new(HashMap::new()),
        }
    }

    /// Draws the faults for one call of `operation`.
    pub(crate) fn draw(&self, operation: &str) -> Draw {
        let mut draw = Draw::default();
        if self.rules.is_empty() {
            return draw;
        }
        let call = {
            let mut calls = self.calls.lock();
            let count = calls.entry(operation.to_owned()).or_insert(0);
            *count += 1;
            *count
        };
        let mut random = self.random.lock();
        for rule in &self.rules {
            if rule
                .operation
                .as_deref()
                .is_some_and(|name| name != operation)
            {
                continue;
            }
            let fires = match rule.trigger {
                Trigger::Probability(p) => random.random_bool(p),
                Trigger::NthCall(n) => call == n,
                Trigger::EveryNth(n) => call % n == 0,
            };
            if !fires {
                continue;
            }
            match rule.fault {
                Fault::Latency(duration) => {
                    draw.latency = Some(draw.latency.unwrap_or_default() + duration);
                }
                failure => {
                    draw.failure.get_or_insert(failure);
                }
            }
        }
        draw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_their_text_form() {
        let rule: FaultRule = "PollForTask:error:0.25".parse().unwrap();
        assert_eq!(rule.operation.as_deref(), Some("PollForTask"));
        assert_eq!(rule.fault, Fault::InternalError);
        assert_eq!(rule.trigger, Trigger::Probability(0.25));
        let rule: FaultRule = "*:latency=150ms:every=2".parse().unwrap();
        assert_eq!(rule.operation, None);
        assert_eq!(rule.fault, Fault::Latency(Duration::from_millis(150)));
        assert_eq!(rule.trigger, Trigger::EveryNth(2));
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        for (text, needle) in [
            ("PollForTask:error", "three parts"),
            ("PollForTask:explode:0.1", "unknown fault"),
            ("PollForTask:error:1.5", "between 0 and 1"),
            ("PollForTask:error:nth=0", "positive"),
            (":error:0.1", "operation is empty"),
        ] {
            let error = text.parse::<FaultRule>().unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
            assert!(error.contains(text), "{error}");
        }
    }

    #[test]
    fn nth_call_fires_once_on_its_operation_only() {
        let plan = FaultPlan {
            seed: 1,
            rules: vec!["SetTaskStatus:drop:nth=2".parse().unwrap()],
        };
        let injector = FaultInjector::new(&plan);
        assert_eq!(injector.draw("PollForTask").failure, None);
        assert_eq!(injector.draw("SetTaskStatus").failure, None);
        assert_eq!(injector.draw("SetTaskStatus").failure, Some(Fault::Drop));
        assert_eq!(injector.draw("SetTaskStatus").failure, None);
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let plan = FaultPlan {
            seed: 7,
            rules: vec!["*:throttle:0.5".parse().unwrap()],
        };
        let first = FaultInjector::new(&plan);
        let second = FaultInjector::new(&plan);
        let a: Vec<_> = (0..64).map(|_| first.draw("PollForTask").failure).collect();
        let b: Vec<_> = (0..64)
            .map(|_| second.draw("PollForTask").failure)
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none));
    }
}
