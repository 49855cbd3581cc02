//! The `taskrunner` processes of a chaos run: started, SIGKILLed and
//! restarted, each incarnation with a hostname and runner id of its own so
//! that the service's ledger tells them apart.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::Taskrunner;

use super::workload::SHELL_GROUP;

/// Every runner process of the run, dead ones kept for their output.
pub(crate) struct Fleet {
    endpoint: String,
    work_dir: PathBuf,
    /// The live process of each slot, if any.
    slots: Vec<Option<Taskrunner>>,
    /// Processes that were killed or stopped, with their names.
    ended: Vec<(String, Taskrunner)>,
    /// Names of the live processes, by slot.
    names: Vec<String>,
    /// Processes started so far: numbers each incarnation.
    pub(crate) started: usize,
    /// SIGKILLs sent.
    pub(crate) killed: usize,
    /// SIGSTOPs sent.
    pub(crate) frozen: usize,
}

impl Fleet {
    /// Starts `runners` processes against `endpoint`.
    pub(crate) fn start(endpoint: &str, runners: usize, work_dir: PathBuf) -> Self {
        let mut fleet = Self {
            endpoint: endpoint.to_owned(),
            work_dir,
            slots: (0..runners).map(|_| None).collect(),
            ended: Vec::new(),
            names: vec![String::new(); runners],
            started: 0,
            killed: 0,
            frozen: 0,
        };
        for slot in 0..runners {
            fleet.restart(slot);
        }
        fleet
    }

    /// How many slots there are.
    pub(crate) fn size(&self) -> usize {
        self.slots.len()
    }

    /// Whether `slot` has a live process.
    pub(crate) fn is_running(&self, slot: usize) -> bool {
        self.slots.get(slot).is_some_and(Option::is_some)
    }

    /// Starts a new process in `slot` (which must be empty).
    pub(crate) fn restart(&mut self, slot: usize) {
        self.started += 1;
        let name = format!("chaos-runner-{slot}-{}", self.started);
        let arguments = [
            "--endpoint",
            &self.endpoint,
            "--workerGroup",
            SHELL_GROUP,
            "--accessId",
            "chaos",
            "--secretKey",
            "chaos",
            "--region",
            "us-east-1",
            "--hostname",
            &name,
            "--taskrunnerId",
            &name,
            "--tasks",
            "4",
            // Reports well inside the service's 4 s report timeout, which
            // the runner does not know (it assumes AWS's 15 minutes).
            "--progress-interval",
            "500ms",
            "--cancel-grace",
            "2s",
            "--drain-timeout",
            "10s",
            "--work-dir",
            &self.work_dir.display().to_string(),
        ];
        let process = Taskrunner::start(&arguments, &[("RUST_LOG", "warn")]);
        self.names[slot] = name;
        self.slots[slot] = Some(process);
    }

    /// SIGKILLs the process in `slot`, if any, and waits for it to die.
    pub(crate) async fn kill(&mut self, slot: usize) {
        let Some(mut process) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        process.signal("KILL");
        process.wait(Duration::from_secs(10)).await;
        self.killed += 1;
        self.ended.push((self.names[slot].clone(), process));
    }

    /// SIGSTOPs the process in `slot`, if any, and answers its pid for
    /// [`Fleet::thaw`]: a stalled host, whose leases lapse while it sleeps
    /// and who wakes up to report work the service gave to someone else.
    pub(crate) fn freeze(&mut self, slot: usize) -> Option<u32> {
        let process = self.slots.get(slot)?.as_ref()?;
        process.signal("STOP");
        self.frozen += 1;
        Some(process.pid())
    }

    /// SIGCONTs process `pid` if it still runs (it may have been killed
    /// while frozen).
    pub(crate) fn thaw(&mut self, pid: u32) {
        let live = self
            .slots
            .iter()
            .flatten()
            .any(|process| process.pid() == pid);
        if live {
            let _ = std::process::Command::new("kill")
                .args(["-s", "CONT", &pid.to_string()])
                .status();
        }
    }

    /// SIGTERMs every live process and waits for each to drain; answers the
    /// names of those that did not exit 0.
    pub(crate) async fn stop_all(&mut self) -> Vec<String> {
        let mut unclean = Vec::new();
        for slot in 0..self.slots.len() {
            let Some(mut process) = self.slots[slot].take() else {
                continue;
            };
            // A runner installs its signal handlers as it starts running:
            // one restarted a moment ago would die of the SIGTERM instead
            // of draining. Wait until it says it runs, and a moment more.
            process
                .wait_for_stdout("taskrunner: worker group", Duration::from_secs(60))
                .await;
            tokio::time::sleep(Duration::from_millis(250)).await;
            process.signal("TERM");
            let status = process.wait(Duration::from_secs(30)).await;
            if status.code() != Some(0) {
                unclean.push(format!("{} ({status})", self.names[slot]));
            }
            self.ended.push((self.names[slot].clone(), process));
        }
        unclean
    }

    /// Lines of every process's standard error that report a panic, with
    /// the process's name.
    pub(crate) fn panics(&self) -> Vec<String> {
        self.processes()
            .flat_map(|(name, process)| {
                process
                    .stderr()
                    .lines()
                    .filter(|line| line.contains("panicked"))
                    .map(|line| format!("{name}: {line}"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The last lines of every process's standard error, for a failure
    /// message.
    pub(crate) fn stderr_tails(&self) -> String {
        self.processes()
            .map(|(name, process)| {
                let stderr = process.stderr();
                let tail = crate::support::tail(&stderr, 1500);
                format!("--- {name} ---\n{tail}\n")
            })
            .collect()
    }

    fn processes(&self) -> impl Iterator<Item = (&String, &Taskrunner)> {
        let live = self
            .slots
            .iter()
            .zip(&self.names)
            .filter_map(|(slot, name)| slot.as_ref().map(|process| (name, process)));
        self.ended
            .iter()
            .map(|(name, process)| (name, process))
            .chain(live)
    }
}
