//! Tests of validation, on definitions written in the CLI file format.

use super::super::file::parse_definition_file;
use super::*;

/// The report for a definition file.
fn report(json: &str) -> ValidationReport {
    validate(&parse_definition_file(json).unwrap())
}

/// Every message about `id` in `list`.
fn messages<'a>(list: &'a [ObjectMessages], id: &str) -> Vec<&'a str> {
    list.iter()
        .filter(|entry| entry.id == id)
        .flat_map(|entry| entry.messages.iter().map(String::as_str))
        .collect()
}

/// Asserts that some error about `id` contains `text`.
fn assert_error(report: &ValidationReport, id: &str, text: &str) {
    let found = messages(&report.errors, id);
    assert!(
        found.iter().any(|message| message.contains(text)),
        "no error '{text}' on {id}: {report:#?}"
    );
}

const SCHEDULED: &str = r##"{
    "objects": [
        {"id": "Default", "scheduleType": "cron", "workerGroup": "wg", "schedule": {"ref": "Daily"}, "role": "R",
         "failureAndRerunMode": "CASCADE", "maximumRetries": "3", "retryDelay": "10 minutes"},
        {"id": "Daily", "type": "Schedule", "period": "1 day", "startDateTime": "2024-01-01T00:00:00",
         "endDateTime": "2024-02-01T00:00:00"},
        {"id": "Input", "type": "S3DataNode", "directoryPath": "s3://bucket/#{format(@scheduledStartTime, 'YYYY-MM-dd')}"},
        {"id": "Check", "type": "ShellCommandPrecondition", "command": "test -f x", "preconditionTimeout": "1 hour"},
        {"id": "Work", "type": "ShellCommandActivity", "command": "echo #{myGreeting} #{myLocal}", "myLocal": "x",
         "input": {"ref": "Input"}, "precondition": {"ref": "Check"}, "onFail": {"ref": "Alarm"},
         "attemptTimeout": "2 hours", "scriptArgument": ["a", "b"]},
        {"id": "Alarm", "type": "SnsAlarm", "topicArn": "arn:aws:sns:us-east-1:1:t", "subject": "s", "message": "m"}
    ],
    "parameters": [{"id": "myGreeting", "type": "String", "default": "hello"}]
}"##;

#[test]
fn a_sound_definition_has_no_errors_or_warnings() {
    let report = report(SCHEDULED);
    assert!(!report.errored(), "{report:#?}");
    assert!(report.warnings.is_empty(), "{report:#?}");
}

#[test]
fn ids_references_and_types_are_checked() {
    let report = report(
        r##"{"objects": [
            {"id": "A", "type": "ShellCommandActivity", "command": "x", "workerGroup": "w",
             "schedule": {"ref": "Missing"}},
            {"id": "A", "type": "Exists"},
            {"id": "B", "type": "ShellCommandActivty"},
            {"id": "C", "workerGroup": "w"},
            {"id": "D", "type": "Exists", "parent": "A"},
            {"id": "Base", "schedule": {"ref": "A"}},
            {"id": "E", "type": "Exists", "parent": {"ref": "Base"}}
        ]}"##,
    );
    assert_error(&report, "A", "id 'A' is used by more than one object");
    assert_error(
        &report,
        "A",
        "field 'schedule' refers to 'Missing', which is no object",
    );
    assert_error(
        &report,
        "B",
        "field 'type': unknown type 'ShellCommandActivty'",
    );
    assert_error(&report, "C", "missing required field 'type'");
    assert!(
        messages(&report.errors, "Base").is_empty(),
        "a parent needs no type: {report:#?}"
    );
    assert_error(&report, "D", "field 'parent' must be a reference");
}

#[test]
fn required_fields_are_checked_after_inheritance() {
    let report = report(
        r##"{"objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Base", "command": "echo shared"},
            {"id": "Inherits", "type": "ShellCommandActivity", "parent": {"ref": "Base"}},
            {"id": "Both", "type": "ShellCommandActivity", "parent": {"ref": "Base"}, "scriptUri": "s3://x"},
            {"id": "Neither", "type": "ShellCommandActivity"},
            {"id": "Node", "type": "S3DataNode"},
            {"id": "FileAndFolder", "type": "S3DataNode", "filePath": "s3://b/k", "directoryPath": "s3://b/d"},
            {"id": "FileAndManifest", "type": "S3DataNode", "filePath": "s3://b/k", "manifestFilePath": "s3://b/m"},
            {"id": "Alarm", "type": "SnsAlarm", "topicArn": "t"}
        ]}"##,
    );
    assert!(
        messages(&report.errors, "Inherits").is_empty(),
        "{report:#?}"
    );
    assert_error(
        &report,
        "Both",
        "exactly one of the fields 'command' or 'scriptUri', got 2",
    );
    assert_error(
        &report,
        "Neither",
        "exactly one of the fields 'command' or 'scriptUri', got none",
    );
    assert_error(
        &report,
        "Node",
        "'filePath', 'directoryPath' or 'manifestFilePath'",
    );
    assert_error(
        &report,
        "FileAndFolder",
        "may have only one of the fields 'filePath' or 'directoryPath'",
    );
    // The page does not make a manifest exclude a path (dp-object-s3datanode.md).
    assert!(
        messages(&report.errors, "FileAndManifest").is_empty(),
        "{report:#?}"
    );
    assert_error(&report, "Alarm", "missing required field 'subject'");
    assert_error(&report, "Alarm", "missing required field 'message'");
}

#[test]
fn activities_need_somewhere_to_run_and_preconditions_are_warned() {
    let report = report(
        r##"{"objects": [
            {"id": "Default", "scheduleType": "ondemand"},
            {"id": "Work", "type": "ShellCommandActivity", "command": "x"},
            {"id": "Check", "type": "ShellCommandPrecondition", "command": "x"}
        ]}"##,
    );
    assert_error(
        &report,
        "Work",
        "needs one of the fields 'workerGroup' or 'runsOn'",
    );
    assert!(messages(&report.errors, "Check").is_empty(), "{report:#?}");
    assert!(messages(&report.warnings, "Check")[0].contains("neither 'workerGroup' nor 'runsOn'"));
}

#[test]
fn schedules_are_checked() {
    let report = report(
        r##"{"objects": [
            {"id": "Short", "type": "Schedule", "period": "10 minutes", "startAt": "FIRST_ACTIVATION_DATE_TIME"},
            {"id": "Long", "type": "Schedule", "period": "4 years", "startAt": "FIRST_ACTIVATION_DATE_TIME"},
            {"id": "Bogus", "type": "Schedule", "period": "every day", "startDateTime": "yesterday"},
            {"id": "Backwards", "type": "Schedule", "period": "1 hour", "startDateTime": "2024-01-02T00:00:00",
             "endDateTime": "2024-01-01T00:00:00"},
            {"id": "Unstarted", "type": "Schedule", "period": "1 hour", "occurrences": "0"},
            {"id": "Over", "type": "Schedule", "period": "1 hour", "startAt": "NOW", "occurrences": "2",
             "endDateTime": "2024-01-01T00:00:00"}
        ]}"##,
    );
    assert_error(
        &report,
        "Short",
        "field 'period': '10 minutes' is shorter than the 15-minute minimum",
    );
    assert_error(&report, "Long", "longer than the 3-year maximum");
    assert_error(
        &report,
        "Bogus",
        "field 'period': invalid period 'every day'",
    );
    assert_error(
        &report,
        "Bogus",
        "field 'startDateTime': 'yesterday' is not a date time",
    );
    assert_error(
        &report,
        "Backwards",
        "'endDateTime' must be after 'startDateTime'",
    );
    assert_error(
        &report,
        "Unstarted",
        "exactly one of the fields 'startDateTime' or 'startAt'",
    );
    assert_error(
        &report,
        "Unstarted",
        "field 'occurrences': '0' is not a positive whole number",
    );
    assert_error(
        &report,
        "Over",
        "field 'startAt': 'NOW' is not one of FIRST_ACTIVATION_DATE_TIME, ONDEMAND_ACTIVATION_TIME (in any case)",
    );
    assert_error(
        &report,
        "Over",
        "only one of the fields 'endDateTime' or 'occurrences'",
    );
}

#[test]
fn schedule_types_and_on_demand_pipelines() {
    let report = report(
        r##"{"objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Daily", "type": "Schedule", "period": "1 day", "startAt": "FIRST_ACTIVATION_DATE_TIME"},
            {"id": "Scheduled", "type": "ShellCommandActivity", "command": "x", "schedule": {"ref": "Daily"}},
            {"id": "Odd", "type": "ShellCommandActivity", "command": "x", "scheduleType": "hourly"}
        ]}"##,
    );
    assert_error(
        &report,
        "Scheduled",
        "the ondemand schedule type cannot have a schedule ('Daily')",
    );
    assert_error(
        &report,
        "Odd",
        "field 'scheduleType': 'hourly' is not one of cron, ondemand, timeseries (in any case)",
    );
    let cron = super::validate(
        &parse_definition_file(
            r##"{"objects": [{"id": "Default", "workerGroup": "wg"},
                {"id": "Lonely", "type": "ShellCommandActivity", "command": "x"}]}"##,
        )
        .unwrap(),
    );
    assert!(!cron.errored(), "{cron:#?}");
    assert!(
        messages(&cron.warnings, "Lonely")[0].contains("has no 'schedule'"),
        "{cron:#?}"
    );
}

#[test]
fn durations_and_retries_are_checked_where_they_are_set() {
    let report = report(
        r##"{"objects": [
            {"id": "Default", "retryDelay": "soon", "maximumRetries": "6", "scheduleType": "ondemand", "workerGroup": "w"},
            {"id": "A", "type": "ShellCommandActivity", "command": "x", "attemptTimeout": "#{myTimeout}",
             "lateAfterTimeout": "2 fortnights", "maximumRetries": "-1", "myTimeout": "1 hour"},
            {"id": "B", "type": "ShellCommandActivity", "command": "x"}
        ]}"##,
    );
    assert_error(
        &report,
        "Default",
        "field 'retryDelay': invalid period 'soon'",
    );
    assert_error(
        &report,
        "Default",
        "field 'maximumRetries': '6' is not a whole number from 0 to 5",
    );
    assert_error(
        &report,
        "A",
        "field 'lateAfterTimeout': invalid period '2 fortnights'",
    );
    assert_error(&report, "A", "field 'maximumRetries': '-1'");
    assert_eq!(
        messages(&report.errors, "A").len(),
        2,
        "expressions are not durations yet: {report:#?}"
    );
    assert!(
        messages(&report.errors, "B").is_empty(),
        "inherited mistakes are reported once: {report:#?}"
    );
}

#[test]
fn limits_from_the_service_quotas() {
    let mut objects: Vec<String> = (0..101)
        .map(|index| format!(r##"{{"id": "N{index}", "type": "CSV"}}"##))
        .collect();
    let many_fields: Vec<String> = (0..51)
        .map(|index| format!(r##""myField{index}": "v""##))
        .collect();
    objects.push(format!(
        r##"{{"id": "Wide", "type": "CSV", {}}}"##,
        many_fields.join(", ")
    ));
    objects.push(format!(
        r##"{{"id": "Big", "type": "CSV", "myA": "{0}", "myB": "{0}"}}"##,
        "x".repeat(10_241)
    ));
    let report = report(&format!(r##"{{"objects": [{}]}}"##, objects.join(", ")));
    assert_error(
        &report,
        "N100",
        "the pipeline has 103 objects; at most 100 are allowed",
    );
    assert_error(
        &report,
        "Wide",
        "the object has 52 fields; at most 50 are allowed",
    );
    assert_error(&report, "Big", "at most 15360 are allowed");
    assert_error(
        &report,
        "Big",
        "field 'myA': the value takes 10241 bytes; at most 10240 are allowed",
    );
}

#[test]
fn parameters_and_names_in_expressions() {
    let report = report(
        r##"{"objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "w", "myShared": "#{myPerObject}"},
            {"id": "Good", "type": "ShellCommandActivity", "command": "#{myShared} #{myKnown}", "myPerObject": "x"},
            {"id": "Bad", "type": "ShellCommandActivity", "command": "#{myUnknown} #{nonMy} #{Format(1)}"},
            {"id": "Broken", "type": "ShellCommandActivity", "command": "echo #{1 +"}
        ],
        "parameters": [
            {"id": "myKnown", "default": "k"},
            {"id": "myRequired"},
            {"id": "myColor", "allowedValues": ["red", "blue"]},
            {"id": "noPrefix", "optional": "true"}
        ],
        "values": {"myColor": "green", "myStray": "x"}}"##,
    );
    assert!(
        messages(&report.errors, "Default").is_empty(),
        "Default's names resolve per object: {report:#?}"
    );
    assert!(messages(&report.errors, "Good").is_empty(), "{report:#?}");
    assert_error(
        &report,
        "Bad",
        "field 'command': '#{myUnknown}' is no declared parameter",
    );
    assert_error(&report, "Bad", "field 'command': unknown function 'Format'");
    assert_error(
        &report,
        "Bad",
        "field 'myShared': '#{myPerObject}' is no declared parameter",
    );
    assert_eq!(
        messages(&report.errors, "Bad").len(),
        3,
        "names without my are left to evaluation: {report:#?}"
    );
    assert_error(&report, "Broken", "field 'command': unterminated '#{'");
    assert_error(
        &report,
        "myRequired",
        "parameter 'myRequired' needs a value",
    );
    assert_error(
        &report,
        "myColor",
        "value 'green' is not one of the allowed values red, blue",
    );
    assert_error(&report, "noPrefix", "must start with 'my'");
    // A value for an undeclared parameter is used, as in AWS; it only warns.
    assert!(
        messages(&report.errors, "myStray").is_empty(),
        "{report:#?}"
    );
    assert_eq!(
        messages(&report.warnings, "myStray"),
        ["no parameter object declares 'myStray'; it is taken as a String"]
    );
}

#[test]
fn inheritance_cycles_are_errors() {
    let report = report(
        r##"{"objects": [
            {"id": "A", "type": "CSV", "parent": {"ref": "B"}},
            {"id": "B", "type": "CSV", "parent": {"ref": "A"}}
        ]}"##,
    );
    assert_error(&report, "A", "inheritance cycle: A -> B -> A");
    assert_error(&report, "B", "inheritance cycle: B -> A -> B");
}

#[test]
fn errors_keep_definition_order_and_group_by_id() {
    let report =
        report(r##"{"objects": [{"id": "Z", "type": "Nope"}, {"id": "A"}, {"id": "Z"}]}"##);
    let ids: Vec<&str> = report
        .errors
        .iter()
        .map(|entry| entry.id.as_str())
        .collect();
    assert_eq!(ids, ["Z", "A"]);
}

#[test]
fn guide_spellings_encrypted_keys_and_undocumented_fields() {
    let report = report(
        r##"{"objects": [
            {"id": "Default", "scheduleType": "CRON", "failureAndRerunMode": "Cascade", "workerGroup": "w",
             "schedule": {"ref": "OnDemand"}, "*myShared": "x", "colour": "red"},
            {"id": "OnDemand", "type": "Schedule", "period": "ONDEMAND_PERIOD", "startAt": "ondemand_activation_time"},
            {"id": "Cluster", "type": "EmrCluster", "actionOnResourceFailure": "retryAll",
             "actionOnTaskFailure": "TERMINATE", "region": "eu-west-1"},
            {"id": "Db", "type": "RdsDatabase", "rdsInstanceId": "db", "username": "u", "password": "p"},
            {"id": "Copy", "type": "RedshiftCopyActivity", "insertMode": "upsert", "runsOn": {"ref": "Cluster"},
             "comand": "x", "*myPassword": "#{*myKey}"}
        ],
        "parameters": [{"id": "*myKey", "default": "k"}]}"##,
    );
    let errors: Vec<&str> = report
        .errors
        .iter()
        .flat_map(|entry| entry.messages.iter().map(String::as_str))
        .collect();
    assert_eq!(
        errors,
        ["field 'insertMode': 'upsert' is not one of KEEP_EXISTING, OVERWRITE_EXISTING, TRUNCATE, APPEND (in any case)"],
        "{report:#?}"
    );
    assert_eq!(
        messages(&report.warnings, "Default"),
        ["field 'colour' is documented by no object type; custom fields start with 'my'"]
    );
    assert_eq!(
        messages(&report.warnings, "Copy"),
        [
            "field 'comand' is not a documented field of RedshiftCopyActivity \
          (dp-object-redshiftcopyactivity.md); custom fields start with 'my'"
        ]
    );
    assert!(
        messages(&report.warnings, "Db").is_empty(),
        "'password' meets the documented '*password': {report:#?}"
    );
}
