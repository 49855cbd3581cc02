//! What `taskrunner local` shows: a live line per instance while the
//! pipeline runs, and a table at the end.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use aws_sdk_datapipeline::Client;

/// DescribeObjects takes at most this many ids per call.
const DESCRIBE_BATCH: usize = 25;

/// One instance as the service describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) component: String,
    pub(crate) status: String,
    pub(crate) attempts: String,
    pub(crate) error: Option<String>,
}

/// The pipeline's state and its instances, read through the SDK.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// Whether `@pipelineState` is FINISHED: nothing more will run.
    pub(crate) finished: bool,
    pub(crate) rows: Vec<Row>,
}

impl Snapshot {
    /// Reads the pipeline's state and every instance.
    ///
    /// # Errors
    /// A call to the local service failed.
    pub(crate) async fn take(client: &Client, pipeline: &str) -> anyhow::Result<Self> {
        let described = client
            .describe_pipelines()
            .pipeline_ids(pipeline)
            .send()
            .await?;
        let finished = described
            .pipeline_description_list
            .first()
            .and_then(|description| {
                description
                    .fields
                    .iter()
                    .find(|field| field.key == "@pipelineState")
            })
            .and_then(|field| field.string_value.as_deref())
            == Some("FINISHED");
        let mut ids = Vec::new();
        let mut pages = client
            .query_objects()
            .pipeline_id(pipeline)
            .sphere("INSTANCE")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            ids.extend(page?.ids.unwrap_or_default());
        }
        let mut rows = Vec::with_capacity(ids.len());
        for batch in ids.chunks(DESCRIBE_BATCH) {
            let objects = client
                .describe_objects()
                .pipeline_id(pipeline)
                .set_object_ids(Some(batch.to_vec()))
                .send()
                .await?;
            for object in objects.pipeline_objects {
                let field = |key: &str| {
                    object
                        .fields
                        .iter()
                        .find(|field| field.key == key)
                        .and_then(|field| field.string_value.clone().or(field.ref_value.clone()))
                };
                rows.push(Row {
                    component: field("@componentParent").unwrap_or_else(|| object.id.clone()),
                    status: field("@status").unwrap_or_default(),
                    attempts: field("@attemptCount").unwrap_or_default(),
                    // The message may quote what a command printed,
                    // encrypted values included.
                    error: field("errorMessage").map(|message| {
                        let message = crate::secrets::mask(&message).into_owned();
                        match field("errorId") {
                            Some(id) => format!("{id}: {message}"),
                            None => message,
                        }
                    }),
                    id: object.id,
                });
            }
        }
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self { finished, rows })
    }

    /// Whether every activity instance finished (preconditions that held
    /// count too; any other end counts against the run).
    pub(crate) fn all_activities_finished(&self) -> bool {
        self.rows.iter().all(|row| row.status == "FINISHED")
    }
}

/// Draws snapshots: on a terminal, a block of lines redrawn in place; in a
/// pipe, a file or under `NO_COLOR`, a line per change with no escape
/// codes.
#[derive(Debug)]
pub(crate) struct View {
    started: Instant,
    terminal: bool,
    /// Lines drawn last time, to redraw over on a terminal.
    drawn: usize,
    /// Each instance's last status and when it was first seen in it.
    seen: HashMap<String, (String, Instant)>,
    /// When each instance started running and stopped.
    timing: HashMap<String, (Option<Instant>, Option<Instant>)>,
}

impl View {
    pub(crate) fn new() -> Self {
        Self {
            started: Instant::now(),
            terminal: crate::terminal::escape_codes_allowed(std::io::stdout().is_terminal()),
            drawn: 0,
            seen: HashMap::new(),
            timing: HashMap::new(),
        }
    }

    fn track<'a>(&mut self, snapshot: &'a Snapshot) -> Vec<&'a Row> {
        let now = Instant::now();
        let mut changed = Vec::new();
        for row in &snapshot.rows {
            let previous = self.seen.get(&row.id).map(|(status, _)| status.clone());
            if previous.as_deref() != Some(row.status.as_str()) {
                self.seen.insert(row.id.clone(), (row.status.clone(), now));
                let timing = self.timing.entry(row.id.clone()).or_default();
                if row.status == "RUNNING" && timing.0.is_none() {
                    timing.0 = Some(now);
                }
                if is_final(&row.status) {
                    timing.1 = Some(now);
                }
                changed.push(row);
            }
        }
        changed
    }

    fn duration(&self, id: &str) -> String {
        match self.timing.get(id) {
            Some((Some(start), end)) => {
                let end = end.unwrap_or_else(Instant::now);
                format!("{:.1}s", end.duration_since(*start).as_secs_f64())
            }
            // Ran and ended between two looks.
            Some((None, Some(_))) => "<0.2s".to_owned(),
            _ => "-".to_owned(),
        }
    }

    fn line(&self, row: &Row) -> String {
        format!(
            "  {:<40} {:<24} attempt {:<2} {:>8}",
            truncate(&row.id, 40),
            row.status,
            if row.attempts.is_empty() {
                "-"
            } else {
                &row.attempts
            },
            self.duration(&row.id)
        )
    }

    /// Shows the latest snapshot.
    pub(crate) fn show(&mut self, snapshot: &Snapshot) {
        let changed: Vec<Row> = self.track(snapshot).into_iter().cloned().collect();
        let mut out = std::io::stdout().lock();
        if self.terminal {
            if self.drawn > 0 {
                let _ = write!(out, "\x1b[{}A\x1b[J", self.drawn);
            }
            let elapsed = self.started.elapsed().as_secs_f64();
            let _ = writeln!(out, "[{elapsed:6.1}s]");
            for row in &snapshot.rows {
                let _ = writeln!(out, "{}", self.line(row));
            }
            self.drawn = snapshot.rows.len() + 1;
        } else {
            for row in &changed {
                let _ = writeln!(
                    out,
                    "[{:6.1}s] {}",
                    self.started.elapsed().as_secs_f64(),
                    self.line(row).trim_start()
                );
            }
        }
        let _ = out.flush();
    }

    /// Prints the final table.
    pub(crate) fn finish(&mut self, snapshot: &Snapshot) {
        self.track(snapshot);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "\n{:<40} {:<26} {:<15} {:>8} {:>9}  error",
            "instance", "component", "status", "attempts", "duration"
        );
        for row in &snapshot.rows {
            let _ = writeln!(
                out,
                "{:<40} {:<26} {:<15} {:>8} {:>9}  {}",
                truncate(&row.id, 40),
                truncate(&row.component, 26),
                row.status,
                row.attempts,
                self.duration(&row.id),
                row.error
                    .as_deref()
                    .map(|error| truncate(error, 80))
                    .unwrap_or_default()
            );
        }
        let finished = snapshot
            .rows
            .iter()
            .filter(|row| row.status == "FINISHED")
            .count();
        let _ = writeln!(
            out,
            "\n{finished} of {} instances finished in {:.1}s",
            snapshot.rows.len(),
            self.started.elapsed().as_secs_f64()
        );
        let _ = out.flush();
    }
}

fn is_final(status: &str) -> bool {
    matches!(
        status,
        "FINISHED" | "FAILED" | "CASCADE_FAILED" | "CANCELED" | "TIMEDOUT" | "SKIPPED"
    )
}

/// Cuts `text` to `width` characters, marking the cut.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}
