//! The errors of the definition module: one enum for the logic on parsed
//! definitions, one for reading the AWS CLI definition-file format.

/// An error found while working on a parsed definition: periods, inheritance
/// and parameters.
///
/// Validation ([`validate`](super::validate())) never returns these: it turns
/// them into messages of its report. The other functions of the module return
/// the first one they meet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionError {
    /// A period or duration such as `"15 minutes"` does not parse. Write it as
    /// a positive whole number, a space and one of `minutes`, `hours`, `days`,
    /// `weeks`, `months` or `years` (singular or plural).
    #[error("invalid period '{text}': {reason}")]
    InvalidPeriod {
        /// The text as given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `parent` fields form a cycle. Break the chain by removing one `parent`.
    #[error("inheritance cycle: {}", chain.join(" -> "))]
    InheritanceCycle {
        /// The ids along the cycle, starting and ending with the same id.
        chain: Vec<String>,
    },
    /// An object's `parent` refers to no object of the definition. Fix the
    /// reference or add the parent object.
    #[error("object '{id}' has parent '{parent}', which is no object of the pipeline")]
    UnknownParent {
        /// The object whose parent is missing.
        id: String,
        /// The id its `parent` field names.
        parent: String,
    },
    /// A parameter id does not start with `my` (after the `*` of an
    /// encrypted parameter). Rename the parameter and the `#{…}` expressions
    /// that use it.
    #[error("parameter id '{id}' must start with 'my' (or '*my' when encrypted)")]
    InvalidParameterId {
        /// The parameter's id.
        id: String,
    },
    /// A required parameter has neither a value nor a default. Give a value
    /// (e.g. `--parameter-values {id}=…`), a `default`, or mark it
    /// `"optional": "true"`.
    #[error("parameter '{id}' needs a value: give one, a default, or mark it optional")]
    MissingParameterValue {
        /// The parameter's id.
        id: String,
    },
    /// A parameter value is not among the parameter's `allowedValues`.
    #[error("parameter '{id}': value '{value}' is not one of the allowed values {}", allowed.join(", "))]
    ParameterValueNotAllowed {
        /// The parameter's id.
        id: String,
        /// The offending value.
        value: String,
        /// The allowed values.
        allowed: Vec<String>,
    },
    /// A parameter value does not fit the parameter's `type` (e.g. `Integer`).
    #[error("parameter '{id}': value '{value}' is not a valid {expected}")]
    InvalidParameterValue {
        /// The parameter's id.
        id: String,
        /// The offending value.
        value: String,
        /// The declared type.
        expected: String,
    },
    /// Several values are given for a parameter that is not an array. Mark
    /// it `"isArray": "true"` or give one value.
    #[error("parameter '{id}' has {count} values but is not an array (set isArray to true)")]
    NotAnArray {
        /// The parameter's id.
        id: String,
        /// How many values were given.
        count: usize,
    },
    /// A parameter's `type` is none of `String`, `Integer`, `Double` and
    /// `AWS::S3::ObjectKey`.
    #[error("parameter '{id}': unknown type '{type_name}'; use String, Integer, Double or AWS::S3::ObjectKey")]
    UnknownParameterType {
        /// The parameter's id.
        id: String,
        /// The type as given.
        type_name: String,
    },
}

/// An error reading a definition file in the AWS CLI format
/// (`put-pipeline-definition --pipeline-definition file://…`).
///
/// Each error names where in the file it is, so the user can fix the file.
/// Semantic problems (duplicate ids, unknown types, missing fields) are not
/// reported here but by [`validate`](super::validate()).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionFileError {
    /// The text is not JSON. Fix the syntax at the line and column given.
    #[error("definition file is not valid JSON: {message}")]
    Json {
        /// The parser's message, which names the line and column.
        message: String,
    },
    /// The top level is not a JSON object. A definition file is
    /// `{"objects": [...], "parameters": [...], "values": {...}}`.
    #[error("definition file must be a JSON object with an \"objects\" array, got {found}")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// The `objects` member is missing.
    #[error("definition file has no \"objects\" member; add \"objects\": [...]")]
    MissingObjects,
    /// A top-level member (`objects`, `parameters` or `values`) has the wrong
    /// JSON type.
    #[error("\"{member}\" must be {expected}, got {found}")]
    WrongMemberType {
        /// The member.
        member: &'static str,
        /// The JSON type it must have.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// An item of `objects` or `parameters` is not a JSON object.
    #[error("{member}[{index}] must be a JSON object, got {found}")]
    ItemNotAnObject {
        /// `objects` or `parameters`.
        member: &'static str,
        /// The item's position.
        index: usize,
        /// The JSON type found.
        found: &'static str,
    },
    /// An item of `objects` or `parameters` has no `id`, or one that is not
    /// a string. Give every item a string id.
    #[error("{member}[{index}] has no string \"id\"; give it one")]
    MissingId {
        /// `objects` or `parameters`.
        member: &'static str,
        /// The item's position.
        index: usize,
    },
    /// A field value has a form the format does not allow: null, a nested
    /// array, or an object other than `{"ref": "Id"}`.
    #[error("{member}[{index}] (id '{id}'): \"{key}\" {problem}")]
    InvalidField {
        /// `objects` or `parameters`.
        member: &'static str,
        /// The item's position.
        index: usize,
        /// The item's id.
        id: String,
        /// The field's key.
        key: String,
        /// What is wrong, e.g. `is null`.
        problem: String,
    },
    /// A member of `values` is neither a string (number, boolean) nor a list
    /// of them.
    #[error("values: \"{id}\" {problem}")]
    InvalidValue {
        /// The parameter id.
        id: String,
        /// What is wrong.
        problem: String,
    },
    /// A command-line parameter value is not of the form `myName=value`.
    #[error("parameter value '{argument}' must have the form myName=value")]
    InvalidParameterArgument {
        /// The argument as given.
        argument: String,
    },
}

impl From<serde_json::Error> for DefinitionFileError {
    fn from(error: serde_json::Error) -> Self {
        Self::Json {
            message: error.to_string(),
        }
    }
}
