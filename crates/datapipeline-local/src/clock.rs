//! The pipeline clock: pipeline time that runs `time_scale` times faster than
//! the wall clock, so tests can compress hours of schedule into seconds.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Timelike, Utc};
use tokio::time::Instant;

/// Maps between the tokio clock (deadlines, timers) and pipeline time
/// (`@scheduledStartTime` and every other timestamp a client sees).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    /// The tokio instant at which pipeline time was `origin_time`.
    origin: Instant,
    /// The pipeline time at `origin`: the UTC wall time the service started.
    origin_time: NaiveDateTime,
    /// Pipeline seconds per wall-clock second.
    scale: f64,
}

impl Clock {
    pub(crate) fn new(scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Self {
            origin: Instant::now(),
            origin_time: truncate(Utc::now().naive_utc()),
            scale,
        }
    }

    /// A clock whose pipeline time now is `time`: a service resuming from
    /// its state file carries on from where its pipeline time had got to.
    pub(crate) fn resumed(scale: f64, time: NaiveDateTime) -> Self {
        Self {
            origin_time: truncate(time),
            ..Self::new(scale)
        }
    }

    /// The pipeline time at `instant`, to the second, as every timestamp
    /// field is written.
    pub(crate) fn time_at(&self, instant: Instant) -> NaiveDateTime {
        let elapsed = instant
            .saturating_duration_since(self.origin)
            .mul_f64(self.scale);
        truncate(self.origin_time + TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::MAX))
    }

    /// The pipeline time now.
    pub(crate) fn now(&self) -> NaiveDateTime {
        self.time_at(Instant::now())
    }

    /// The tokio instant at which pipeline time reaches `time`; times already
    /// passed map to the origin.
    pub(crate) fn instant_at(&self, time: NaiveDateTime) -> Instant {
        let ahead = (time - self.origin_time).to_std().unwrap_or(Duration::ZERO);
        self.origin + ahead.div_f64(self.scale)
    }

    /// A pipeline duration in wall-clock time.
    pub(crate) fn wall(&self, pipeline: Duration) -> Duration {
        pipeline.div_f64(self.scale)
    }
}

/// Drops the sub-second part: the wire form has whole seconds.
fn truncate(time: NaiveDateTime) -> NaiveDateTime {
    time.with_nanosecond(0).unwrap_or(time)
}

/// Formats a pipeline time in the wire form `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn format_time(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Parses the wire form `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pipeline_time_runs_scale_times_faster() {
        let clock = Clock::new(60.0);
        let start = clock.now();
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(clock.now() - start, TimeDelta::minutes(2));
        let later = start + TimeDelta::minutes(10);
        assert_eq!(
            clock.instant_at(later) - clock.origin,
            Duration::from_secs(10)
        );
        assert_eq!(
            clock.wall(Duration::from_secs(600)),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn times_round_trip_through_the_wire_form() {
        let time = parse_time("2012-12-12T00:00:00").unwrap();
        assert_eq!(format_time(time), "2012-12-12T00:00:00");
        assert!(parse_time("2012-12-12 00:00:00").is_none());
    }
}
