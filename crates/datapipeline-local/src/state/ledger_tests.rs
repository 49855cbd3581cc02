//! Tests of the lease ledger.

use super::*;

fn key(attempt: &str) -> AttemptKey {
    AttemptKey {
        pipeline: "df-1".into(),
        attempt: attempt.into(),
    }
}

const FIRST: &str = "@Work_2026-01-01T00:00:00_Attempt=1";

#[test]
fn a_lease_granted_reported_and_finished_ends_once() {
    let mut ledger = Ledger::default();
    let task: Arc<str> = "task-1".into();
    ledger.granted(&task, &key(FIRST), "group", Some("runner-1"));
    ledger.reported(&task);
    ledger.reported(&task);
    ledger.status_accepted(&task, Some("FINISHED"));
    let counts = ledger.counts();
    assert_eq!(
        (
            counts.granted,
            counts.acknowledged,
            counts.ended_by_status,
            counts.live
        ),
        (1, 1, 1, 0)
    );
    let record = &ledger.records()[0];
    assert_eq!(record.reports, 2);
    assert_eq!(record.holder.as_deref(), Some("runner-1"));
    assert!(matches!(
        record.end,
        Some((LeaseEnd::Status("FINISHED"), _))
    ));
}

#[test]
fn an_expired_lease_regranted_is_a_reassignment_and_its_late_status_is_fenced() {
    let mut ledger = Ledger::default();
    let (old, new): (Arc<str>, Arc<str>) = ("old".into(), "new".into());
    ledger.granted(&old, &key(FIRST), "group", Some("runner-1"));
    ledger.expired(&old, true);
    ledger.granted(&new, &key(FIRST), "group", Some("runner-2"));
    ledger.status_fenced(&old);
    ledger.status_accepted(&new, Some("FINISHED"));
    let counts = ledger.counts();
    assert_eq!(counts.reassignments, 1);
    assert_eq!(counts.expired_and_requeued, 1);
    assert_eq!(counts.statuses_fenced, 1);
    assert_eq!(counts.statuses_fenced_after_lapse, 1);
    assert_eq!(counts.overlapping_grants, 0);
    assert_eq!(counts.statuses_after_loss, 0);
    assert_eq!(ledger.records()[0].statuses_fenced, 1);
}

#[test]
fn the_ledger_flags_overlaps_statuses_after_loss_and_runs_after_finish() {
    let mut ledger = Ledger::default();
    let (first, second, third): (Arc<str>, Arc<str>, Arc<str>) =
        ("a".into(), "b".into(), "c".into());
    ledger.granted(&first, &key(FIRST), "group", None);
    ledger.granted(&second, &key(FIRST), "group", None);
    ledger.expired(&first, true);
    ledger.status_accepted(&first, Some("FAILED"));
    ledger.status_accepted(&second, Some("FINISHED"));
    ledger.granted(
        &third,
        &key("@Work_2026-01-01T00:00:00_Attempt=2"),
        "group",
        None,
    );
    ledger.status_fenced("never granted");
    let counts = ledger.counts();
    assert_eq!(counts.overlapping_grants, 1);
    assert_eq!(counts.statuses_after_loss, 1);
    assert_eq!(counts.runs_after_finish, 1);
    assert_eq!(counts.statuses_unknown, 1);
    assert_eq!(counts.live, 1);
}

#[test]
fn a_ledger_replayed_from_its_log_is_the_same_ledger() {
    let mut ledger = Ledger::default();
    let (old, new): (Arc<str>, Arc<str>) = ("old".into(), "new".into());
    ledger.granted(&old, &key(FIRST), "group", Some("runner-1"));
    ledger.reported(&old);
    ledger.expired(&old, true);
    ledger.granted(&new, &key(FIRST), "group", None);
    ledger.status_fenced(&old);
    ledger.status_accepted(&new, Some("FINISHED"));
    ledger.rerun("df-1", "@Work_2026-01-01T00:00:00");
    let replayed = Ledger::replayed(ledger.log().to_vec(), ledger.started());
    assert_eq!(replayed.records(), ledger.records());
    assert_eq!(replayed.counts(), ledger.counts());
    assert_eq!(replayed.log(), ledger.log());
    assert_eq!(replayed.lease_index("new"), Some(1));
}

#[test]
fn the_instance_of_an_attempt_drops_the_attempt_suffix() {
    assert_eq!(instance_of(FIRST), "@Work_2026-01-01T00:00:00");
    assert_eq!(instance_of("plain"), "plain");
}

#[test]
fn a_canceled_lease_that_lapses_is_canceled_not_lost_and_a_late_status_is_counted() {
    let mut ledger = Ledger::default();
    let (obeyed, late): (Arc<str>, Arc<str>) = ("obeyed".into(), "late".into());
    let second = "@Work_2026-01-01T00:00:00_Attempt=2";
    ledger.granted(&obeyed, &key(FIRST), "group", Some("runner-1"));
    ledger.reported(&obeyed);
    ledger.cancel_delivered(&obeyed);
    ledger.cancel_delivered(&obeyed);
    ledger.canceled_lapsed(&obeyed);
    ledger.granted(&late, &key(second), "group", Some("runner-1"));
    ledger.status_accepted(&late, None);
    let counts = ledger.counts();
    assert_eq!(counts.canceled, 1);
    assert_eq!(counts.cancels_delivered, 1, "once per lease");
    assert_eq!(counts.expired, 1, "a canceled lapse is a lapse");
    assert_eq!(counts.expired_and_requeued, 0);
    assert_eq!(counts.statuses_after_cancel, 1);
    assert_eq!(counts.live, 0);
    let record = &ledger.records()[0];
    assert!(record.cancel_delivered);
    assert!(matches!(record.end, Some((LeaseEnd::Canceled, _))));
    assert!(!ledger.records()[1].cancel_delivered);
}

#[test]
fn a_rerun_finished_instance_runs_again_legitimately_once_per_rerun() {
    let mut ledger = Ledger::default();
    let second = "@Work_2026-01-01T00:00:00_Attempt=2";
    let (first_run, rerun, regrant): (Arc<str>, Arc<str>, Arc<str>) =
        ("a".into(), "b".into(), "c".into());
    ledger.granted(&first_run, &key(FIRST), "group", None);
    ledger.status_accepted(&first_run, Some("FINISHED"));
    ledger.rerun("df-1", "@Work_2026-01-01T00:00:00");
    // The rerun's attempt lapses and is reassigned: the same run, not
    // another one.
    ledger.granted(&rerun, &key(second), "group", None);
    ledger.expired(&rerun, true);
    ledger.granted(&regrant, &key(second), "group", None);
    ledger.status_accepted(&regrant, Some("FINISHED"));
    let counts = ledger.counts();
    assert_eq!(counts.reruns_of_finished, 1);
    assert_eq!(counts.runs_after_finish, 0);
    assert_eq!(counts.reassignments, 1);
    // Finished again, and granted again with no rerun: that is a run after
    // finish.
    let third: Arc<str> = "d".into();
    ledger.granted(
        &third,
        &key("@Work_2026-01-01T00:00:00_Attempt=3"),
        "group",
        None,
    );
    assert_eq!(ledger.counts().runs_after_finish, 1);
}

#[test]
fn a_rerun_of_an_instance_that_never_finished_is_not_counted() {
    let mut ledger = Ledger::default();
    ledger.rerun("df-1", "@Work_2026-01-01T00:00:00");
    assert_eq!(ledger.counts().reruns_of_finished, 0);
}
