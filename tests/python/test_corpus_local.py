"""The corpus entries `taskrunner local` can run (tests/corpus/index.json,
`runnableLocally`), run to their end by the real binary with no flags but
the parameter files their page gives.

Each entry's expected result is written in EXPECTED: most finish; the two
whose Guide example cannot succeed anywhere (a placeholder script, an input
that does not match its command) must fail with an error that says why. An
entry marked runnable without an expectation fails the suite, so a change
to the corpus is looked at.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT

CORPUS = REPO_ROOT / "tests" / "corpus"
TASKRUNNER = Path(os.environ.get("TASKRUNNER_BIN", REPO_ROOT / "target" / "debug" / "taskrunner"))
#: A run's limit: every entry ends in seconds at the local mode's pipeline
#: time scale; a hang is a failure, not a wait.
RUN_SECONDS = 120


@dataclass(frozen=True)
class Expected:
    """What a local run of an entry must end with."""

    #: taskrunner local's exit code: 0 every activity finished, 1 one failed.
    exit_code: int
    #: Text the run's output must hold (an error id, a path).
    says: tuple[str, ...] = ()
    #: Files (relative to the S3 root) to put in the store before the run.
    inputs: dict[str, str] = field(default_factory=dict)
    #: Why, where the result is not plain success.
    why: str = ""


EXPECTED: dict[str, Expected] = {
    "dp-object-shellcommandactivity-1": Expected(0),
    "dp-how-task-runner-user-managed-1": Expected(0),
    "dp-object-httpproxy-1": Expected(0),
    "dp-object-schedule-7": Expected(0),
    "dp-object-schedule-8": Expected(0),
    "dp-object-schedule-9": Expected(0),
    "dp-custom-templates-1": Expected(
        0,
        inputs={
            "us-east-1.elasticmapreduce.samples/pig-apache-logs/data/access.log": "GET /a\nPOST /b\nGET /c\n",
        },
        why="its input defaults to AWS's public sample bucket, put in the local store here",
    ),
    "dp-concepts-staging-1": Expected(
        1,
        says=("StagingFailed", "s3://my_bucket/source/"),
        why="its input is one file per period named after the activation time, which no run can "
        "put there beforehand (and its command reads part* files the input does not hold)",
    ),
    "dp-pipeline-expressions-6": Expected(
        1,
        says=("ShellCommandFailed", "/home/userName/xxx.sh"),
        why="its command is the placeholder script the page names",
    ),
}


def runnable_entries() -> list[dict[str, Any]]:
    """The index's entries marked runnable by `taskrunner local`."""
    index = json.loads((CORPUS / "index.json").read_text())
    return [entry for entry in index["entries"] if entry.get("runnableLocally")]


RUNNABLE = runnable_entries()


def test_every_runnable_entry_has_an_expectation() -> None:
    names = {entry["name"] for entry in RUNNABLE}
    assert names == set(EXPECTED), (
        f"runnable without an expectation: {sorted(names - set(EXPECTED))}; "
        f"expected but not runnable: {sorted(set(EXPECTED) - names)}"
    )


@pytest.mark.parametrize("entry", RUNNABLE, ids=[entry["name"] for entry in RUNNABLE])
def test_runnable_entry_runs_to_its_end(entry: dict[str, Any], tmp_path: Path) -> None:
    expected = EXPECTED[entry["name"]]
    assert TASKRUNNER.is_file(), f"{TASKRUNNER} is missing: build it with `cargo build --bins`"
    s3_root = tmp_path / "s3"
    for key, text in expected.inputs.items():
        path = s3_root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    command = [str(TASKRUNNER), "local", str(CORPUS / entry["file"]), "--s3-root", str(s3_root),
               "--work-dir", str(tmp_path / "work")]
    if "parameterObjectsFile" in entry:
        command += ["--parameter-objects", str(CORPUS / entry["parameterObjectsFile"])]
    if "parameterValuesFile" in entry:
        command += ["--parameter-values-uri", f"file://{CORPUS / entry['parameterValuesFile']}"]
    for name, values in entry.get("parameterValues", {}).items():
        for value in values if isinstance(values, list) else [values]:
            command += ["--parameter-values", f"{name}={value}"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_SECONDS,
                         env={**os.environ, "NO_COLOR": "1"})
    output = run.stdout + run.stderr
    assert run.returncode == expected.exit_code, f"{' '.join(command)}\n{output}"
    for text in expected.says:
        assert text in output, f"{text!r} not in the output of {entry['name']}:\n{output}"
    if expected.exit_code == 0:
        assert "instances finished" in run.stdout, output
