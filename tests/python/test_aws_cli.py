"""The AWS CLI (v1, `aws datapipeline …`) against datapipeline-local.

Each command runs as a subprocess of the virtual environment's `aws`, the
way a user types it, with the example definition files of
examples/pipelines/. Exit codes and JSON output are checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest

from conftest import EXAMPLES, AwsCli, Service, fields_of, start_service, unique

EXAMPLE_FILES = sorted(path.name for path in EXAMPLES.glob("*.json"))
PIPELINE_ID = re.compile(r"df-[A-Z0-9]{19}")


class CliPipelines:
    """Pipelines created with the CLI, deleted with it when the test ends."""

    def __init__(self, aws: AwsCli) -> None:
        self.aws = aws
        self.created: list[str] = []

    def create(self, name: str | None = None) -> str:
        name = name or unique("cli")
        created = self.aws.ok("create-pipeline", "--name", name, "--unique-id", name)
        pipeline_id = created["pipelineId"]
        assert PIPELINE_ID.fullmatch(pipeline_id), created
        self.created.append(pipeline_id)
        return pipeline_id

    def delete_all(self) -> None:
        for pipeline_id in self.created:
            # Deleting twice is refused; the test may have deleted it.
            self.aws("delete-pipeline", "--pipeline-id", pipeline_id)


@pytest.fixture
def cli_pipelines(aws: AwsCli) -> Iterator[CliPipelines]:
    pipelines = CliPipelines(aws)
    yield pipelines
    pipelines.delete_all()


@pytest.fixture(scope="module")
def realtime_service(log_directory: Path) -> Iterator[Service]:
    """A service whose pipeline clock runs at wall-clock speed.

    `aws datapipeline list-runs` without `--start-interval` asks for runs
    that started in the last four days *by the wall clock*; with
    `--time-scale 600` pipeline time runs ahead of the wall clock and a run
    that started a minute ago started "hours from now", so the shared fast
    service would list nothing.
    """
    running = start_service(["--long-poll-wait", "1s", "--ack-timeout", "30s", "--retry-delay-floor", "0s"], log_directory)
    yield running
    running.stop()


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_example_definitions_validate_cleanly(aws: AwsCli, cli_pipelines: CliPipelines, example: str) -> None:
    pipeline_id = cli_pipelines.create()
    result = aws.ok(
        "put-pipeline-definition",
        "--pipeline-id", pipeline_id,
        "--pipeline-definition", f"file://examples/pipelines/{example}",
    )
    assert result == {"validationErrors": [], "validationWarnings": [], "errored": False}


def test_all_four_examples_exist() -> None:
    assert set(EXAMPLE_FILES) >= {"hello.json", "chain.json", "parameters.json", "schedule.json"}


def test_hello_runs_through_the_cli(realtime_service: Service) -> None:
    """create → put → get → list → activate → list-runs → poll → report →
    set status → describe → delete, all with `aws datapipeline`."""
    aws = AwsCli(realtime_service.endpoint)
    pipelines = CliPipelines(aws)
    try:
        name = unique("hello")
        pipeline_id = pipelines.create(name)
        put = aws.ok(
            "put-pipeline-definition",
            "--pipeline-id", pipeline_id,
            "--pipeline-definition", "file://examples/pipelines/hello.json",
        )
        assert put["errored"] is False

        # The CLI translates the definition back into the file format.
        definition = aws.ok("get-pipeline-definition", "--pipeline-id", pipeline_id)
        by_id = {item["id"]: item for item in definition["objects"]}
        assert set(by_id) == {"Default", "SayHello"}
        assert by_id["SayHello"]["command"] == "echo hello"
        assert by_id["SayHello"]["workerGroup"] == "local"
        assert by_id["SayHello"]["type"] == "ShellCommandActivity"

        listed = aws.ok("list-pipelines")
        assert {"id": pipeline_id, "name": name} in listed["pipelineIdList"]

        activated = aws("activate-pipeline", "--pipeline-id", pipeline_id)
        assert activated.returncode == 0, activated.stderr
        assert activated.stdout.strip() == ""

        # list-runs without --output prints its own table.
        table = aws("list-runs", "--pipeline-id", pipeline_id, output=None)
        assert table.returncode == 0, table.stderr
        assert "Scheduled Start" in table.stdout
        assert re.search(r"^\s+1\.\s+SayHello\s+\S+\s+WAITING_FOR_RUNNER", table.stdout, re.MULTILINE), table.stdout
        assert "@SayHello_" in table.stdout

        polled = aws.ok("poll-for-task", "--worker-group", "local", "--hostname", "cli-host")
        task = polled["taskObject"]
        assert task["pipelineId"] == pipeline_id
        attempt = fields_of(task["objects"][task["attemptId"]])
        assert attempt["command"] == "echo hello"
        assert attempt["@sphere"] == "ATTEMPT"
        assert attempt["@componentParent"] == {"ref": "SayHello"}
        instance_id = attempt["@instanceParent"]["ref"]
        assert task["attemptId"] == f"{instance_id}_Attempt=1"

        progress = aws.ok("report-task-progress", "--task-id", task["taskId"])
        assert progress == {"canceled": False}
        progress = aws.ok(
            "report-task-progress", "--task-id", task["taskId"],
            "--fields", "key=percentComplete,stringValue=50",
        )
        assert progress == {"canceled": False}

        runs = aws.ok("list-runs", "--pipeline-id", pipeline_id)
        assert [(run["@id"], run["@status"]) for run in runs] == [(instance_id, "RUNNING")]

        status = aws("set-task-status", "--task-id", task["taskId"], "--task-status", "FINISHED")
        assert status.returncode == 0, status.stderr
        assert status.stdout.strip() == ""

        described = aws.ok("describe-objects", "--pipeline-id", pipeline_id, "--object-ids", instance_id, task["attemptId"])
        statuses = {item["id"]: fields_of(item)["@status"] for item in described["pipelineObjects"]}
        assert statuses == {instance_id: "FINISHED", task["attemptId"]: "FINISHED"}
        attempt_fields = fields_of(next(item for item in described["pipelineObjects"] if item["id"] == task["attemptId"]))
        assert attempt_fields["hostname"] == "cli-host"

        table = aws("list-runs", "--pipeline-id", pipeline_id, "--status", "finished", output=None)
        assert table.returncode == 0, table.stderr
        assert re.search(r"SayHello\s+\S+\s+FINISHED", table.stdout), table.stdout

        pipeline = aws.ok("describe-pipelines", "--pipeline-ids", pipeline_id)["pipelineDescriptionList"][0]
        assert fields_of(pipeline)["@pipelineState"] == "FINISHED"

        empty = aws.ok("poll-for-task", "--worker-group", "local")
        assert empty in (None, {}), empty

        deleted = aws("delete-pipeline", "--pipeline-id", pipeline_id)
        assert deleted.returncode == 0, deleted.stderr
        assert pipeline_id not in json.dumps(aws.ok("list-pipelines"))
        gone = aws("describe-pipelines", "--pipeline-ids", pipeline_id)
        assert gone.returncode == 255
        assert "PipelineDeletedException" in gone.stderr
    finally:
        pipelines.delete_all()


def test_parameter_values_on_put_replace_the_files_values(aws: AwsCli, cli_pipelines: CliPipelines) -> None:
    pipeline_id = cli_pipelines.create()
    put = aws.ok(
        "put-pipeline-definition",
        "--pipeline-id", pipeline_id,
        "--pipeline-definition", "file://examples/pipelines/parameters.json",
        "--parameter-values", "myGreeting=hi there", "myRepeat=3",
    )
    assert put["errored"] is False, put

    definition = aws.ok("get-pipeline-definition", "--pipeline-id", pipeline_id)
    assert definition["values"] == {"myGreeting": "hi there", "myRepeat": "3"}
    parameters = {parameter["id"]: parameter for parameter in definition["parameters"]}
    assert parameters["myRepeat"]["type"] == "Integer"
    assert parameters["myRepeat"]["default"] == "2"

    aws.ok("activate-pipeline", "--pipeline-id", pipeline_id)
    task = aws.ok("poll-for-task", "--worker-group", "local")["taskObject"]
    assert task["pipelineId"] == pipeline_id
    command = fields_of(task["objects"][task["attemptId"]])["command"]
    assert command == (
        "mkdir -p /tmp/datapipeline-example && for i in $(seq 3); do echo hi there; done "
        "> /tmp/datapipeline-example/greeting.txt"
    )


def test_parameter_values_on_activate_win(aws: AwsCli, cli_pipelines: CliPipelines) -> None:
    pipeline_id = cli_pipelines.create()
    aws.ok(
        "put-pipeline-definition",
        "--pipeline-id", pipeline_id,
        "--pipeline-definition", "file://examples/pipelines/parameters.json",
    )
    # The file's own values section is stored with the definition.
    assert aws.ok("get-pipeline-definition", "--pipeline-id", pipeline_id)["values"] == {
        "myGreeting": "hello from parameters"
    }
    activated = aws("activate-pipeline", "--pipeline-id", pipeline_id, "--parameter-values", "myGreeting=at activation")
    assert activated.returncode == 0, activated.stderr
    task = aws.ok("poll-for-task", "--worker-group", "local")["taskObject"]
    assert task["pipelineId"] == pipeline_id
    command = fields_of(task["objects"][task["attemptId"]])["command"]
    assert "for i in $(seq 2); do echo at activation; done" in command


def test_a_failed_task_keeps_its_error_fields(aws: AwsCli, cli_pipelines: CliPipelines) -> None:
    pipeline_id = cli_pipelines.create()
    definition = json.loads((EXAMPLES / "hello.json").read_text())
    for item in definition["objects"]:
        if item["id"] == "SayHello":
            item["maximumRetries"] = "0"
    result = aws.ok(
        "put-pipeline-definition",
        "--pipeline-id", pipeline_id,
        "--pipeline-definition", json.dumps(definition),
    )
    assert result["errored"] is False
    aws.ok("activate-pipeline", "--pipeline-id", pipeline_id)
    task = aws.ok("poll-for-task", "--worker-group", "local")["taskObject"]
    status = aws(
        "set-task-status", "--task-id", task["taskId"], "--task-status", "FAILED",
        "--error-id", "CommandFailed", "--error-message", "exit status 3", "--error-stack-trace", "line 1",
    )
    assert status.returncode == 0, status.stderr
    attempt = aws.ok("describe-objects", "--pipeline-id", pipeline_id, "--object-ids", task["attemptId"])
    fields = fields_of(attempt["pipelineObjects"][0])
    assert fields["@status"] == "FAILED"
    assert (fields["errorId"], fields["errorMessage"], fields["errorStackTrace"]) == (
        "CommandFailed", "exit status 3", "line 1"
    )
    # The task is gone: a second status is fenced off.
    again = aws("set-task-status", "--task-id", task["taskId"], "--task-status", "FINISHED")
    assert again.returncode == 255
    assert "TaskNotFoundException" in again.stderr


def test_an_invalid_definition_is_reported_not_stored(aws: AwsCli, cli_pipelines: CliPipelines) -> None:
    pipeline_id = cli_pipelines.create()
    broken = {"objects": [{"id": "Default", "scheduleType": "ondemand"}, {"id": "Oops", "type": "NoSuchActivity"}]}
    result = aws("put-pipeline-definition", "--pipeline-id", pipeline_id, "--pipeline-definition", json.dumps(broken))
    output = result.json()
    assert output["errored"] is True, output
    errors = {error["id"]: error["errors"] for error in output["validationErrors"]}
    assert any("NoSuchActivity" in message for message in errors["Oops"]), errors
    activated = aws("activate-pipeline", "--pipeline-id", pipeline_id)
    assert activated.returncode == 255
    assert "InvalidRequestException" in activated.stderr


def test_unknown_pipelines_are_modeled_errors(aws: AwsCli) -> None:
    result = aws("describe-objects", "--pipeline-id", "df-0000000000000000000", "--object-ids", "Default")
    assert result.returncode == 255
    assert "PipelineNotFoundException" in result.stderr
    result = aws("get-pipeline-definition", "--pipeline-id", "df-0000000000000000000")
    assert result.returncode == 255
    assert "PipelineNotFoundException" in result.stderr


def test_heartbeat_through_the_cli(aws: AwsCli) -> None:
    answer = aws.ok("report-task-runner-heartbeat", "--taskrunner-id", unique("runner"), "--worker-group", "local", "--hostname", "h")
    assert answer == {"terminate": False}

