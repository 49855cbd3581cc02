//! [`Resources`]: what a shell activity keeps from one command to the next.

use std::sync::Arc;

use crate::dev_null::DevNull;
use crate::environment::InheritedEnvironment;
use crate::spare_dirs::SpareDirs;
use crate::ShellConfig;

/// Made with the activity, shared by its clones and by every command it
/// runs.
#[derive(Debug)]
pub(crate) struct Resources {
    /// Emptied working directories for the next attempts.
    pub(crate) spares: Arc<SpareDirs>,
    /// The part of the runner's environment commands inherit.
    pub(crate) inherited: InheritedEnvironment,
    /// Every command's stdin.
    pub(crate) dev_null: DevNull,
}

impl Resources {
    /// The resources of an activity with `config`: the runner's
    /// environment is read now.
    pub(crate) fn new(config: &ShellConfig) -> Self {
        Self {
            spares: Arc::default(),
            inherited: InheritedEnvironment::filter(std::env::vars_os(), config),
            dev_null: DevNull::open(),
        }
    }
}
