//! The values of enumerated fields, and the rule for their case.
//!
//! The Guide marks such fields with the slot type `Enumeration` (and a few,
//! such as `actionOnTaskFailure`, as `String` while listing their values in
//! the description), but lists the values only in prose, so they are written
//! here by hand, each with the page that lists them.
//!
//! Case rule: AWS accepts these values in any ASCII case; the Guide's own
//! definitions write `"scheduleType": "ONDEMAND"`, `"CRON"` and `"cron"`,
//! `"failureAndRerunMode": "CASCADE"` and `"cascade"`,
//! `"actionOnResourceFailure": "retryAll"`. So validation and the scheduler
//! compare them with [`str::eq_ignore_ascii_case`] (see [`matches_enumerated`]), while
//! the definition keeps the value exactly as given, and GetPipelineDefinition
//! returns it so.

/// Each enumerated field with a closed set of values: the field, its values
/// as the Guide writes them, and the page listing them.
const ENUMERATIONS: &[(&str, &[&str], &str)] = &[
    (
        "scheduleType",
        &["cron", "ondemand", "timeseries"],
        "dp-object-shellcommandactivity.md",
    ),
    (
        "failureAndRerunMode",
        &["cascade", "none"],
        "dp-manage-cascade-failandrerun.md",
    ),
    // `ONDEMAND_ACTIVATION_TIME` appears in the page's on-demand example.
    (
        "startAt",
        &["FIRST_ACTIVATION_DATE_TIME", "ONDEMAND_ACTIVATION_TIME"],
        "dp-object-schedule.md",
    ),
    (
        "insertMode",
        &["KEEP_EXISTING", "OVERWRITE_EXISTING", "TRUNCATE", "APPEND"],
        "dp-object-redshiftcopyactivity.md",
    ),
    ("compression", &["none", "gzip"], "dp-object-s3datanode.md"),
    (
        "s3EncryptionType",
        &["SERVER_SIDE_ENCRYPTION", "NONE"],
        "dp-object-s3datanode.md",
    ),
    (
        "hadoopSchedulerType",
        &[
            "PARALLEL_FAIR_SCHEDULING",
            "PARALLEL_CAPACITY_SCHEDULING",
            "DEFAULT_SCHEDULER",
        ],
        "dp-object-emrcluster.md",
    ),
    (
        "actionOnTaskFailure",
        &["continue", "terminate"],
        "dp-object-emrcluster.md",
    ),
    (
        "actionOnResourceFailure",
        &["retryall", "retrynone"],
        "dp-object-emrcluster.md",
    ),
];

/// The values an enumerated field accepts, as the Guide writes them; `None`
/// for a field that is not a closed enumeration.
pub fn enumerated_values(field: &str) -> Option<&'static [&'static str]> {
    ENUMERATIONS
        .iter()
        .find(|(name, _, _)| *name == field)
        .map(|(_, values, _)| *values)
}

/// Whether `value` is the enumerated value `expected`, in any ASCII case:
/// the one comparison every reader of an enumerated field uses.
pub fn matches_enumerated(value: &str, expected: &str) -> bool {
    value.trim().eq_ignore_ascii_case(expected)
}

/// A message when `value` is not one of `field`'s values, naming the field
/// and the allowed values; `None` when it is one, or `field` is not a closed
/// enumeration.
pub(crate) fn check_enumerated(field: &str, value: &str) -> Option<String> {
    let values = enumerated_values(field)?;
    if values
        .iter()
        .any(|allowed| matches_enumerated(value, allowed))
    {
        return None;
    }
    Some(format!(
        "field '{field}': '{value}' is not one of {} (in any case)",
        values.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::{object_types, SlotType};
    use super::*;

    /// Enumerated fields whose values are open-ended and so not checked:
    /// `region` takes any AWS region code (dp-object-ec2resource.md).
    const OPEN_ENUMERATIONS: &[&str] = &["region"];

    #[test]
    fn values_match_in_any_case() {
        assert_eq!(check_enumerated("scheduleType", "ONDEMAND"), None);
        assert_eq!(check_enumerated("scheduleType", "Cron"), None);
        assert_eq!(
            check_enumerated("actionOnResourceFailure", "retryAll"),
            None
        );
        assert_eq!(check_enumerated("region", "anything"), None);
        let message = check_enumerated("failureAndRerunMode", "sometimes").unwrap();
        assert_eq!(
            message,
            "field 'failureAndRerunMode': 'sometimes' is not one of cascade, none (in any case)"
        );
    }

    /// A field the Guide marks `Enumeration` must have its values here, or
    /// be declared open, so a new one in the Guide cannot go unchecked.
    #[test]
    fn every_documented_enumeration_is_listed() {
        for doc in object_types() {
            for field in doc
                .fields
                .iter()
                .filter(|field| field.slot == SlotType::Enumeration)
            {
                assert!(
                    enumerated_values(field.name).is_some()
                        || OPEN_ENUMERATIONS.contains(&field.name),
                    "{}.{} ({}) is an enumeration with no values listed",
                    doc.name,
                    field.name,
                    doc.page
                );
            }
        }
    }
}
