//! Where each piece of work of a `taskrunner local` run is polled for, and
//! what to tell the user about it.
//!
//! On AWS, work that `runsOn` an `Ec2Resource` or `EmrCluster` runs on a
//! machine AWS starts for it; the local service queues it under the
//! resource's id instead, and the local run polls that id, so this machine
//! stands in for the resource. Work with a `workerGroup` is polled under
//! the group's name.

use std::collections::BTreeSet;
use std::fmt;

use datapipeline_local::definition::{effective_objects, kind_of, Definition, ObjectKind};

use crate::not_built_in;

/// Where one activity or precondition is polled for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The object's id.
    pub(crate) component: String,
    /// The object's type, e.g. `ShellCommandActivity`.
    pub(crate) type_name: String,
    /// The worker group its tasks are queued under.
    pub(crate) worker_group: String,
    /// The type of the resource it `runsOn` (`Ec2Resource`, `EmrCluster`),
    /// when it names one.
    pub(crate) resource_type: Option<String>,
}

impl Placement {
    /// Whether the user should be told where this runs: on a stand-in for a
    /// resource, or not at all.
    pub(crate) fn worth_telling(&self) -> bool {
        self.resource_type.is_some() || not_built_in::needs(&self.type_name).is_some()
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) ", self.component, self.type_name)?;
        match &self.resource_type {
            Some(resource) => write!(
                f,
                "runs on {resource} '{}' (this machine stands in)",
                self.worker_group
            )?,
            None => write!(f, "runs in worker group '{}'", self.worker_group)?,
        }
        if let Some(needs) = not_built_in::needs(&self.type_name) {
            write!(
                f,
                ": not built in ({needs}), so it ends FAILED with {}",
                not_built_in::ERROR_ID
            )?;
        }
        Ok(())
    }
}

/// Every activity and precondition that names a `workerGroup` or `runsOn`
/// (itself or inherited), in id order.
pub(crate) fn placements(definition: &Definition) -> Vec<Placement> {
    let Ok(objects) = effective_objects(&definition.objects) else {
        return Vec::new();
    };
    objects
        .values()
        .filter_map(|object| {
            let type_name = object.type_name()?;
            if !matches!(
                kind_of(type_name),
                Some(ObjectKind::Activity | ObjectKind::Precondition)
            ) {
                return None;
            }
            let runs_on = object
                .values("runsOn")
                .find_map(|value| value.as_ref_id().map(str::to_owned));
            let resource_type = runs_on
                .as_deref()
                .and_then(|id| objects.get(id))
                .and_then(|resource| resource.type_name())
                .map(str::to_owned);
            let worker_group =
                runs_on.or_else(|| object.field("workerGroup").map(str::to_owned))?;
            Some(Placement {
                component: object.id.clone(),
                type_name: type_name.to_owned(),
                worker_group,
                resource_type,
            })
        })
        .collect()
}

/// The worker groups a runner must poll: the local service queues
/// `runsOn` work under the resource's id.
pub(crate) fn worker_groups(placements: &[Placement]) -> BTreeSet<String> {
    placements
        .iter()
        .map(|placement| placement.worker_group.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datapipeline_local::definition::parse_definition_file;

    #[test]
    fn work_on_a_resource_is_polled_under_the_resource_id() {
        let definition = parse_definition_file(
            r#"{"objects": [
                {"id": "Default", "workerGroup": "local"},
                {"id": "Machine", "type": "Ec2Resource"},
                {"id": "Cluster", "type": "EmrCluster"},
                {"id": "Shell", "type": "ShellCommandActivity", "runsOn": {"ref": "Machine"}},
                {"id": "Hive", "type": "HiveActivity", "runsOn": {"ref": "Cluster"}},
                {"id": "Plain", "type": "ShellCommandActivity"}
            ]}"#,
        )
        .unwrap();
        let placements = placements(&definition);
        let told: Vec<String> = placements
            .iter()
            .filter(|placement| placement.worth_telling())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            told,
            [
                "Hive (HiveActivity) runs on EmrCluster 'Cluster' (this machine stands in): \
                 not built in (needs an EMR cluster), so it ends FAILED with ActivityNotBuiltIn",
                "Shell (ShellCommandActivity) runs on Ec2Resource 'Machine' (this machine stands in)",
            ]
        );
        let groups: Vec<String> = worker_groups(&placements).into_iter().collect();
        assert_eq!(groups, ["Cluster", "Machine", "local"]);
    }
}
