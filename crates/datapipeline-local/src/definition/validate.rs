//! Validation: the checks the service runs before accepting a definition
//! (PutPipelineDefinition, ValidatePipelineDefinition).
//!
//! Validation never stops at the first problem: it collects every error and
//! warning per object, as AWS answers `validationErrors` and
//! `validationWarnings`. Checks on a field's own value (durations, retries,
//! `scheduleType`, references, expression syntax) run on the object that
//! sets it, so an inherited mistake is reported once, on its owner. Checks
//! on presence (required fields, schedules) run on effective fields, after
//! inheritance. Parameter problems are reported under the parameter's id.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::expression::{is_known_function, parse_date_time, template_usages, Usage};
use crate::model::{FieldValue, PipelineObject};

use super::catalogue::{is_documented_field, object_type, plain_key};
use super::duration::Period;
use super::enumerations::{check_enumerated, matches_enumerated};
use super::error::DefinitionError;
use super::inherit::{effective_object, index_by_id, DEFAULT_ID};
use super::kinds::{kind_of, relaxed_requirements, requirements, ObjectKind, Requirement};
use super::model::Definition;
use super::parameters::resolve;

/// The most objects a pipeline may hold.
const MAX_OBJECTS: usize = 100;
/// The most fields an object may hold.
const MAX_FIELDS: usize = 50;
/// The most bytes an object's keys and values may take together.
const MAX_OBJECT_BYTES: usize = 15_360;
/// The most bytes one field value may take.
const MAX_FIELD_BYTES: usize = 10_240;
/// The shortest schedule period.
const MIN_PERIOD: Duration = Duration::from_secs(15 * 60);
/// The longest schedule period: three years.
const MAX_PERIOD: Duration = Duration::from_secs(3 * 365 * 86_400);
/// The most retries an activity may ask for.
const MAX_RETRIES: i64 = 5;
/// The `period` of an on-demand schedule (dp-object-schedule.md).
const ON_DEMAND_PERIOD: &str = "ONDEMAND_PERIOD";
/// Fields holding a duration such as `"10 minutes"`.
const DURATION_FIELDS: [&str; 5] = [
    "attemptTimeout",
    "reportProgressTimeout",
    "retryDelay",
    "lateAfterTimeout",
    "preconditionTimeout",
];

/// What validation found: errors (the definition is refused) and warnings
/// (it is accepted), grouped by object or parameter id in definition order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationReport {
    /// Problems that make the service refuse the definition.
    pub errors: Vec<ObjectMessages>,
    /// Problems worth telling the user that do not block the definition.
    pub warnings: Vec<ObjectMessages>,
}

impl ValidationReport {
    /// Whether there is any error.
    pub fn errored(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The messages about one object or parameter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectMessages {
    /// The object's (or parameter's) id.
    pub id: String,
    /// The messages, each naming the field and the offending value.
    pub messages: Vec<String>,
}

/// Collects messages per id, keeping the order ids first appear in.
#[derive(Default)]
struct Collector {
    /// The report being built.
    report: ValidationReport,
    /// Where each id's entry is in `report.errors`.
    error_index: HashMap<String, usize>,
    /// Where each id's entry is in `report.warnings`.
    warning_index: HashMap<String, usize>,
}

impl Collector {
    /// Records an error about `id`.
    fn error(&mut self, id: &str, message: String) {
        add(&mut self.report.errors, &mut self.error_index, id, message);
    }

    /// Records a warning about `id`.
    fn warning(&mut self, id: &str, message: String) {
        add(
            &mut self.report.warnings,
            &mut self.warning_index,
            id,
            message,
        );
    }
}

/// Appends `message` to `id`'s entry of `list`, creating it if needed.
fn add(
    list: &mut Vec<ObjectMessages>,
    index: &mut HashMap<String, usize>,
    id: &str,
    message: String,
) {
    let position = *index.entry(id.to_owned()).or_insert_with(|| {
        list.push(ObjectMessages {
            id: id.to_owned(),
            messages: Vec::new(),
        });
        list.len() - 1
    });
    if let Some(entry) = list.get_mut(position) {
        entry.messages.push(message);
    }
}

/// Validates a definition; see the module documentation for what is checked.
pub fn validate(definition: &Definition) -> ValidationReport {
    let mut collector = Collector::default();
    let objects = &definition.objects;
    if let Some(first_extra) = objects.get(MAX_OBJECTS) {
        let message = format!(
            "the pipeline has {} objects; at most {MAX_OBJECTS} are allowed",
            objects.len()
        );
        collector.error(&first_extra.id, message);
    }
    let mut seen = HashSet::new();
    for object in objects {
        if !seen.insert(object.id.as_str()) {
            collector.error(
                &object.id,
                format!("id '{}' is used by more than one object", object.id),
            );
        }
    }
    let resolution = resolve(definition, None);
    for problem in &resolution.problems {
        collector.error(parameter_id(problem), problem.to_string());
    }
    for id in &resolution.undeclared {
        let message = format!("no parameter object declares '{id}'; it is taken as a String");
        collector.warning(id, message);
    }
    let index = index_by_id(objects);
    for object in objects {
        check_object(definition, object, &index, &mut collector);
    }
    collector.report
}

/// The parameter a parameter problem is about.
fn parameter_id(problem: &DefinitionError) -> &str {
    match problem {
        DefinitionError::InvalidParameterId { id }
        | DefinitionError::MissingParameterValue { id }
        | DefinitionError::ParameterValueNotAllowed { id, .. }
        | DefinitionError::InvalidParameterValue { id, .. }
        | DefinitionError::NotAnArray { id, .. }
        | DefinitionError::UnknownParameterType { id, .. }
        | DefinitionError::UnknownParent { id, .. } => id,
        DefinitionError::InvalidPeriod { .. } | DefinitionError::InheritanceCycle { .. } => "",
    }
}

/// Every check of one object.
fn check_object(
    definition: &Definition,
    object: &PipelineObject,
    index: &HashMap<&str, &PipelineObject>,
    collector: &mut Collector,
) {
    let id = object.id.as_str();
    check_size(object, collector);
    for field in &object.fields {
        match &field.value {
            FieldValue::Ref(target) if !index.contains_key(target.as_str()) => collector
                .error(id, format!("field '{}' refers to '{target}', which is no object of the pipeline", field.key)),
            FieldValue::String(value) if field.key == "parent" => collector.error(
                id,
                format!("field 'parent' must be a reference ({{\"ref\": \"{value}\"}}), not the string '{value}'"),
            ),
            _ => {}
        }
    }
    let effective = match effective_object(object, index) {
        Ok(effective) => effective,
        // An unknown parent is reported above as a dangling reference.
        Err(DefinitionError::UnknownParent { .. }) => object.clone(),
        Err(error) => {
            collector.error(id, error.to_string());
            object.clone()
        }
    };
    let type_name = effective.type_name();
    // An object with no type may hold fields for the objects naming it as
    // their `parent`, as `Default` does for all (dp-object-schedule.md).
    let is_parent = || {
        definition.objects.iter().any(|other| {
            other
                .values("parent")
                .any(|value| value.as_ref_id() == Some(id))
        })
    };
    match (type_name, id == DEFAULT_ID) {
        (None, false) if !is_parent() => {
            collector.error(id, "missing required field 'type'".to_owned());
        }
        (Some(type_name), _) if kind_of(type_name).is_none() => {
            collector.error(id, format!("field 'type': unknown type '{type_name}'"));
        }
        _ => {}
    }
    // A documented `*password` is met by `password` too, and the other way
    // round: the `*` only asks the service to keep the value secret.
    let has = |key: &str| {
        let plain = plain_key(key);
        effective
            .fields
            .iter()
            .any(|field| plain_key(&field.key) == plain)
    };
    let rules = |list: fn(&str) -> Vec<Requirement>| type_name.map(list).unwrap_or_default();
    for requirement in rules(requirements) {
        if let Some(message) = requirement.check(has) {
            collector.error(id, message);
        }
    }
    for requirement in rules(relaxed_requirements) {
        if let Some(message) = requirement.check(has) {
            collector.warning(id, format!("{message} (AWS accepts its absence)"));
        }
    }
    check_field_names(object, type_name, collector);
    let kind = ObjectKind::of_object(id, type_name);
    check_scheduling(object, &effective, kind, collector);
    if kind == Some(ObjectKind::Schedule) {
        check_schedule(&effective, id, collector);
    }
    check_values(object, collector);
    check_expressions(definition, object, &effective, kind, collector);
}

/// The object-size limits.
fn check_size(object: &PipelineObject, collector: &mut Collector) {
    let id = object.id.as_str();
    if object.fields.len() > MAX_FIELDS {
        collector.error(
            id,
            format!(
                "the object has {} fields; at most {MAX_FIELDS} are allowed",
                object.fields.len()
            ),
        );
    }
    let bytes: usize = object
        .fields
        .iter()
        .map(|field| field.key.len() + field.value.as_str().len())
        .sum();
    if bytes > MAX_OBJECT_BYTES {
        collector.error(
            id,
            format!(
                "the object's fields take {bytes} bytes; at most {MAX_OBJECT_BYTES} are allowed"
            ),
        );
    }
    for field in &object.fields {
        let length = field.value.as_str().len();
        if length > MAX_FIELD_BYTES {
            let message = format!(
                "field '{}': the value takes {length} bytes; at most {MAX_FIELD_BYTES} are allowed",
                field.key
            );
            collector.error(id, message);
        }
    }
}

/// `scheduleType`, on-demand pipelines, and activities without a schedule.
fn check_scheduling(
    object: &PipelineObject,
    effective: &PipelineObject,
    kind: Option<ObjectKind>,
    collector: &mut Collector,
) {
    let id = object.id.as_str();
    let ondemand = effective
        .field("scheduleType")
        .is_some_and(|value| matches_enumerated(value, "ondemand"));
    let schedule = effective.field("schedule");
    let own = object.field("scheduleType").is_some() || object.field("schedule").is_some();
    if let (true, Some(schedule), true) = (ondemand, schedule, own) {
        let message = format!(
            "field 'schedule': the ondemand schedule type cannot have a schedule ('{schedule}')"
        );
        collector.error(id, message);
    }
    if kind == Some(ObjectKind::Activity) && schedule.is_none() && !ondemand {
        let message = "the activity has no 'schedule' and scheduleType is not ondemand; give it a schedule or set \
                       scheduleType to ondemand on Default"
            .to_owned();
        collector.warning(id, message);
    }
    let runs_nowhere =
        effective.field("workerGroup").is_none() && effective.field("runsOn").is_none();
    if effective.type_name() == Some("ShellCommandPrecondition") && runs_nowhere {
        let message = "the precondition has neither 'workerGroup' nor 'runsOn'; it runs where the activity that \
                       checks it runs"
            .to_owned();
        collector.warning(id, message);
    }
}

/// A Schedule's period, dates and occurrences.
fn check_schedule(schedule: &PipelineObject, id: &str, collector: &mut Collector) {
    // `ONDEMAND_PERIOD` is the period of an on-demand schedule
    // (dp-object-schedule.md); such a schedule never repeats.
    if let Some(period) = schedule
        .field("period")
        .filter(|value| !value.contains("#{") && !matches_enumerated(value, ON_DEMAND_PERIOD))
    {
        match Period::parse(period) {
            Err(error) => collector.error(id, format!("field 'period': {error}")),
            Ok(parsed) if parsed.approximate() < MIN_PERIOD => {
                collector.error(
                    id,
                    format!("field 'period': '{period}' is shorter than the 15-minute minimum"),
                );
            }
            Ok(parsed) if parsed.approximate() > MAX_PERIOD => {
                collector.error(
                    id,
                    format!("field 'period': '{period}' is longer than the 3-year maximum"),
                );
            }
            Ok(_) => {}
        }
    }
    let mut times = Vec::new();
    for key in ["startDateTime", "endDateTime"] {
        if let Some(value) = schedule.field(key).filter(|value| !value.contains("#{")) {
            match parse_date_time(value) {
                Some(time) => times.push(time),
                None => collector.error(
                    id,
                    format!("field '{key}': '{value}' is not a date time YYYY-MM-DDTHH:MM:SS"),
                ),
            }
        }
    }
    if let [start, end] = times[..] {
        if end <= start {
            collector.error(
                id,
                "field 'endDateTime' must be after 'startDateTime'".to_owned(),
            );
        }
    }
    if let Some(occurrences) = schedule.field("occurrences") {
        if occurrences
            .trim()
            .parse::<u32>()
            .map_or(true, |count| count == 0)
        {
            collector.error(
                id,
                format!("field 'occurrences': '{occurrences}' is not a positive whole number"),
            );
        }
    }
}

/// Durations, enumerated values and `maximumRetries` the object sets itself;
/// values holding expressions are only known at run time and are skipped.
fn check_values(object: &PipelineObject, collector: &mut Collector) {
    let id = object.id.as_str();
    for field in &object.fields {
        let FieldValue::String(value) = &field.value else {
            continue;
        };
        if value.contains("#{") {
            continue;
        }
        if let Some(message) = check_enumerated(&field.key, value) {
            collector.error(id, message);
        }
        if DURATION_FIELDS.contains(&field.key.as_str()) {
            if let Err(error) = Period::parse(value) {
                collector.error(id, format!("field '{}': {error}", field.key));
            }
        }
        if field.key == "maximumRetries"
            && !value
                .trim()
                .parse::<i64>()
                .is_ok_and(|retries| (0..=MAX_RETRIES).contains(&retries))
        {
            collector.error(id, format!("field 'maximumRetries': '{value}' is not a whole number from 0 to {MAX_RETRIES}"));
        }
    }
}

/// A warning for each field the object sets that its type does not document
/// and that is no custom (`my…`) field. AWS accepts such fields, so this is
/// never an error; the warning catches typos such as `comand`. Objects with
/// no type (`Default`, or parents holding shared fields) may set any field
/// some type documents.
fn check_field_names(object: &PipelineObject, type_name: Option<&str>, collector: &mut Collector) {
    let doc = type_name.and_then(object_type);
    for field in &object.fields {
        let key = field.key.as_str();
        let custom = plain_key(key).starts_with("my");
        if custom || key == "type" || key.starts_with('@') {
            continue;
        }
        let message = match doc {
            Some(doc) if doc.field(key).is_none() => format!(
                "field '{key}' is not a documented field of {} ({}); custom fields start with 'my'",
                doc.name, doc.page
            ),
            None if !is_documented_field(key) => format!(
                "field '{key}' is documented by no object type; custom fields start with 'my'"
            ),
            _ => continue,
        };
        collector.warning(&object.id, message);
    }
}

/// Expression syntax and functions on the object's own fields, and, on
/// effective fields, `my…` names that resolve to nothing.
fn check_expressions(
    definition: &Definition,
    object: &PipelineObject,
    effective: &PipelineObject,
    kind: Option<ObjectKind>,
    collector: &mut Collector,
) {
    let id = object.id.as_str();
    let own_keys: HashSet<&str> = object
        .fields
        .iter()
        .map(|field| field.key.as_str())
        .collect();
    for field in &effective.fields {
        let FieldValue::String(value) = &field.value else {
            continue;
        };
        let owned = own_keys.contains(field.key.as_str());
        let usages = match template_usages(value) {
            Ok(usages) => usages,
            Err(error) if owned => {
                collector.error(id, format!("field '{}': {error}", field.key));
                continue;
            }
            Err(_) => continue,
        };
        for usage in usages {
            match usage {
                Usage::Function(name) if owned && !is_known_function(&name) => {
                    collector.error(
                        id,
                        format!("field '{}': unknown function '{name}'", field.key),
                    );
                }
                // `Default` holds shared fields whose names may be set only
                // by the objects inheriting them, so it is not checked.
                Usage::Path(path) if kind != Some(ObjectKind::Default) => {
                    if let [name] = &path[..] {
                        let resolves = definition.parameter(name).is_some()
                            || definition.values_of(name).next().is_some()
                            || effective.values(name).next().is_some();
                        if plain_key(name).starts_with("my") && !resolves {
                            let message = format!(
                                "field '{}': '#{{{name}}}' is no declared parameter and no field of the object",
                                field.key
                            );
                            collector.error(id, message);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
