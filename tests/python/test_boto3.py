"""boto3 against datapipeline-local, with client-side parameter validation on.

The task-runner cycle (poll → report progress → set status), leases that
lapse, retries, cancellation, the pipeline management calls, the modeled
errors, long polls, and the binary's flags for faults, signatures and
runner termination.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from conftest import (
    LONG_POLL_WAIT_SECONDS,
    boto3_client,
    fields_of,
    load_example,
    to_api,
    unique,
    wait_for,
)


def activity_definition(worker_group: str, **activity_fields: Any) -> dict[str, Any]:
    """An on-demand pipeline of one ShellCommandActivity, in the AWS CLI's
    file format."""
    activity = {"id": "Work", "name": "Work", "type": "ShellCommandActivity", "command": "echo work", "workerGroup": worker_group}
    activity.update(activity_fields)
    return {"objects": [{"id": "Default", "name": "Default", "scheduleType": "ondemand"}, activity]}


def put(client: Any, pipeline_id: str, definition: dict[str, Any]) -> dict[str, Any]:
    """PutPipelineDefinition; fails the test on validation errors."""
    answer = client.put_pipeline_definition(pipelineId=pipeline_id, **to_api(definition))
    assert answer["errored"] is False, answer
    return answer


def poll(client: Any, worker_group: str, timeout: float = 15, hostname: str = "pytest-host") -> dict[str, Any]:
    """Polls until a task comes; each poll long-polls in the service."""

    def once() -> Any:
        return client.poll_for_task(workerGroup=worker_group, hostname=hostname).get("taskObject")

    return wait_for(once, timeout=timeout, interval=0, message=f"a task on worker group {worker_group}")


def attempt_fields(task: dict[str, Any]) -> dict[str, Any]:
    """The fields of a polled task's attempt object."""
    return fields_of(task["objects"][task["attemptId"]])


def object_fields(client: Any, pipeline_id: str, *object_ids: str) -> dict[str, dict[str, Any]]:
    """DescribeObjects, as fields per object id."""
    described = client.describe_objects(pipelineId=pipeline_id, objectIds=list(object_ids))
    return {item["id"]: fields_of(item) for item in described["pipelineObjects"]}


def pipeline_state(client: Any, pipeline_id: str) -> str:
    description = client.describe_pipelines(pipelineIds=[pipeline_id])["pipelineDescriptionList"][0]
    return fields_of(description)["@pipelineState"]


def error_code(error: botocore.exceptions.ClientError) -> str:
    return error.response["Error"]["Code"]


def activate_single(client: Any, pipelines: Any, **activity_fields: Any) -> tuple[str, str]:
    """Creates and activates a one-activity pipeline on a fresh worker
    group; answers (pipeline id, worker group)."""
    worker_group = unique("wg")
    pipeline_id = pipelines()
    put(client, pipeline_id, activity_definition(worker_group, **activity_fields))
    client.activate_pipeline(pipelineId=pipeline_id)
    return pipeline_id, worker_group


# --- the client ---------------------------------------------------------


def test_client_side_validation_is_on(client: Any) -> None:
    assert client.meta.config.parameter_validation is True
    with pytest.raises(botocore.exceptions.ParamValidationError):
        client.poll_for_task(hostname="no-worker-group")
    with pytest.raises(botocore.exceptions.ParamValidationError):
        client.set_task_status(taskId="", taskStatus="FINISHED")


# --- the task-runner cycle ------------------------------------------------


def test_task_runner_cycle(client: Any, pipelines: Any) -> None:
    pipeline_id, worker_group = activate_single(client, pipelines, command="echo cycle", attemptTimeout="1 hours")
    assert pipeline_state(client, pipeline_id) == "SCHEDULED"

    task = poll(client, worker_group)
    assert task["pipelineId"] == pipeline_id
    assert len(task["taskId"]) > 100, "taskIds are long, opaque strings"
    assert re.fullmatch(r"@Work_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d_Attempt=1", task["attemptId"]), task["attemptId"]
    fields = attempt_fields(task)
    assert fields["command"] == "echo cycle"
    assert fields["type"] == "ShellCommandActivity"
    assert fields["workerGroup"] == worker_group
    assert fields["@sphere"] == "ATTEMPT"
    assert fields["@pipelineId"] == pipeline_id
    assert fields["@componentParent"] == {"ref": "Work"}
    instance_id = fields["@instanceParent"]["ref"]
    assert fields["@scheduledStartTime"] == instance_id.removeprefix("@Work_")

    # Acknowledge, then report with fields.
    assert client.report_task_progress(taskId=task["taskId"])["canceled"] is False
    progress = client.report_task_progress(
        taskId=task["taskId"], fields=[{"key": "percentComplete", "stringValue": "50"}]
    )
    assert progress["canceled"] is False
    heartbeat = client.report_task_runner_heartbeat(taskrunnerId=unique("runner"), workerGroup=worker_group, hostname="h")
    assert heartbeat["terminate"] is False

    running = object_fields(client, pipeline_id, instance_id, task["attemptId"])
    assert running[instance_id]["@status"] == "RUNNING"
    assert running[task["attemptId"]]["@status"] == "RUNNING"
    assert running[task["attemptId"]]["hostname"] == "pytest-host"

    client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")
    finished = object_fields(client, pipeline_id, instance_id, task["attemptId"])
    assert finished[instance_id]["@status"] == "FINISHED"
    assert finished[task["attemptId"]]["@status"] == "FINISHED"
    assert pipeline_state(client, pipeline_id) == "FINISHED"

    # The lease ended with the status: the taskId is no longer valid.
    with pytest.raises(client.exceptions.TaskNotFoundException):
        client.report_task_progress(taskId=task["taskId"])
    with pytest.raises(client.exceptions.TaskNotFoundException):
        client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")
    # Nothing else is queued.
    assert "taskObject" not in client.poll_for_task(workerGroup=worker_group)


def test_a_failed_attempt_is_retried_then_fails(client: Any, pipelines: Any) -> None:
    # retryDelay is pipeline time: 10 minutes pass in a second at --time-scale 600.
    pipeline_id, worker_group = activate_single(client, pipelines, maximumRetries="1", retryDelay="10 minutes")
    first = poll(client, worker_group)
    client.report_task_progress(taskId=first["taskId"])
    client.set_task_status(
        taskId=first["taskId"], taskStatus="FAILED",
        errorId="CommandFailed", errorMessage="exit status 1", errorStackTrace="at line 1",
    )
    instance_id = attempt_fields(first)["@instanceParent"]["ref"]
    assert object_fields(client, pipeline_id, instance_id)[instance_id]["@status"] in {"WAITING_ON_DEPENDENCIES", "WAITING_FOR_RUNNER"}

    second = poll(client, worker_group)
    assert second["attemptId"] == f"{instance_id}_Attempt=2"
    assert second["taskId"] != first["taskId"]
    client.set_task_status(taskId=second["taskId"], taskStatus="FAILED", errorId="CommandFailed", errorMessage="again")

    described = object_fields(client, pipeline_id, instance_id, first["attemptId"], second["attemptId"])
    assert described[instance_id]["@status"] == "FAILED"
    assert described[first["attemptId"]]["@status"] == "FAILED"
    assert described[first["attemptId"]]["errorId"] == "CommandFailed"
    assert described[first["attemptId"]]["errorMessage"] == "exit status 1"
    assert described[first["attemptId"]]["errorStackTrace"] == "at line 1"
    assert described[second["attemptId"]]["errorMessage"] == "again"
    # No third attempt: maximumRetries is 1.
    assert "taskObject" not in client.poll_for_task(workerGroup=worker_group)


def test_chain_example_runs_in_dependency_order(client: Any, pipelines: Any) -> None:
    pipeline_id = pipelines()
    put(client, pipeline_id, load_example("chain.json"))
    client.activate_pipeline(pipelineId=pipeline_id)

    # The precondition runs first, as a task of its own.
    check = poll(client, "local")
    assert check["pipelineId"] == pipeline_id
    fields = attempt_fields(check)
    assert fields["@componentParent"] == {"ref": "InputReady"}
    assert fields["type"] == "ShellCommandPrecondition"
    assert fields["command"] == "test -d /tmp"
    client.report_task_progress(taskId=check["taskId"])
    client.set_task_status(taskId=check["taskId"], taskStatus="FINISHED")

    extract = poll(client, "local")
    fields = attempt_fields(extract)
    assert fields["@componentParent"] == {"ref": "Extract"}
    assert fields["precondition"] == {"ref": "InputReady"}
    # Referenced objects travel with the task.
    assert "InputReady" in extract["objects"]
    client.set_task_status(taskId=extract["taskId"], taskStatus="FINISHED")

    transform = poll(client, "local")
    assert attempt_fields(transform)["@componentParent"] == {"ref": "Transform"}
    assert attempt_fields(transform)["maximumRetries"] == "3"
    client.set_task_status(taskId=transform["taskId"], taskStatus="FAILED", errorMessage="flaky")
    retried = poll(client, "local")
    assert retried["attemptId"].endswith("_Attempt=2")
    assert attempt_fields(retried)["@componentParent"] == {"ref": "Transform"}
    client.set_task_status(taskId=retried["taskId"], taskStatus="FINISHED")

    load = poll(client, "local")
    fields = attempt_fields(load)
    assert fields["@componentParent"] == {"ref": "Load"}
    assert fields["scriptArgument"] == ["loaded", "rows"]
    client.set_task_status(taskId=load["taskId"], taskStatus="FINISHED")
    assert pipeline_state(client, pipeline_id) == "FINISHED"


def test_a_precondition_that_does_not_hold_is_checked_again(client: Any, pipelines: Any) -> None:
    pipeline_id = pipelines()
    put(client, pipeline_id, load_example("chain.json"))
    client.activate_pipeline(pipelineId=pipeline_id)
    check = poll(client, "local")
    assert attempt_fields(check)["@componentParent"] == {"ref": "InputReady"}
    client.set_task_status(taskId=check["taskId"], taskStatus="FALSE")
    # retryDelay 2 minutes: 0.2 s at --time-scale 600; preconditionTimeout 1 hour.
    again = poll(client, "local")
    assert attempt_fields(again)["@componentParent"] == {"ref": "InputReady"}
    assert again["attemptId"].endswith("_Attempt=2")
    client.set_task_status(taskId=again["taskId"], taskStatus="FINISHED")
    assert attempt_fields(poll(client, "local"))["@componentParent"] == {"ref": "Extract"}


def test_schedule_example_runs_three_times(client: Any, pipelines: Any) -> None:
    pipeline_id = pipelines()
    put(client, pipeline_id, load_example("schedule.json"))
    client.activate_pipeline(pipelineId=pipeline_id)
    starts = []
    for _ in range(3):
        # A 15-minute period is 1.5 s at --time-scale 600.
        task = poll(client, "local", timeout=20)
        assert task["pipelineId"] == pipeline_id
        fields = attempt_fields(task)
        start = fields["@scheduledStartTime"]
        starts.append(start)
        # The service evaluated the expression before handing the task out.
        expected = f"{start[0:10]} {start[11:16]}"
        assert fields["command"] == f"echo run scheduled at {expected}"
        client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")
    minutes = [int(start[11:13]) * 60 + int(start[14:16]) for start in starts]
    assert [(later - earlier) % (24 * 60) for earlier, later in zip(minutes, minutes[1:])] == [15, 15]
    wait_for(lambda: pipeline_state(client, pipeline_id) == "FINISHED", timeout=10, message="the pipeline to finish")
    assert "taskObject" not in client.poll_for_task(workerGroup="local")

    # QueryObjects pages through the three instances one at a time.
    pages = list(
        client.get_paginator("query_objects").paginate(
            pipelineId=pipeline_id, sphere="INSTANCE", PaginationConfig={"PageSize": 1}
        )
    )
    ids = [object_id for page in pages for object_id in page["ids"]]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(len(page["ids"]) <= 1 for page in pages)
    finished = client.query_objects(
        pipelineId=pipeline_id, sphere="INSTANCE",
        query={"selectors": [{"fieldName": "@status", "operator": {"type": "EQ", "values": ["FINISHED"]}}]},
    )
    assert sorted(finished["ids"]) == sorted(ids)


# --- leases ---------------------------------------------------------------


def test_long_poll_answers_empty_after_the_wait(client: Any) -> None:
    started = time.monotonic()
    answer = client.poll_for_task(workerGroup=unique("idle"))
    elapsed = time.monotonic() - started
    answer.pop("ResponseMetadata")
    assert answer == {}
    assert LONG_POLL_WAIT_SECONDS * 0.9 <= elapsed < LONG_POLL_WAIT_SECONDS + 5


def test_a_long_poll_wakes_when_a_task_is_queued(client: Any, endpoint: str, pipelines: Any) -> None:
    worker_group = unique("wg")
    pipeline_id = pipelines()
    put(client, pipeline_id, activity_definition(worker_group))
    answers: list[dict[str, Any]] = []
    poller = threading.Thread(target=lambda: answers.append(boto3_client(endpoint, read_timeout=15).poll_for_task(workerGroup=worker_group)))
    poller.start()
    time.sleep(0.3)
    client.activate_pipeline(pipelineId=pipeline_id)
    poller.join(15)
    assert answers and answers[0]["taskObject"]["pipelineId"] == pipeline_id


def test_an_unacknowledged_task_is_handed_out_again(start_custom_service: Any) -> None:
    service = start_custom_service("--ack-timeout", "1s", "--long-poll-wait", "1s", "--time-scale", "600")
    client = boto3_client(service.endpoint)
    pipeline_id = client.create_pipeline(name="ack", uniqueId="ack")["pipelineId"]
    put(client, pipeline_id, activity_definition("wg"))
    client.activate_pipeline(pipelineId=pipeline_id)
    first = poll(client, "wg")
    time.sleep(1.5)
    second = poll(client, "wg")
    assert second["attemptId"] == first["attemptId"]
    assert second["taskId"] != first["taskId"]
    with pytest.raises(client.exceptions.TaskNotFoundException):
        client.report_task_progress(taskId=first["taskId"])
    with pytest.raises(client.exceptions.TaskNotFoundException):
        client.set_task_status(taskId=first["taskId"], taskStatus="FINISHED")
    client.set_task_status(taskId=second["taskId"], taskStatus="FINISHED")
    assert pipeline_state(client, pipeline_id) == "FINISHED"


def test_progress_reports_keep_the_lease(start_custom_service: Any) -> None:
    service = start_custom_service("--ack-timeout", "1s", "--report-progress-timeout", "1s", "--long-poll-wait", "200ms")
    client = boto3_client(service.endpoint)
    pipeline_id = client.create_pipeline(name="keep", uniqueId="keep")["pipelineId"]
    put(client, pipeline_id, activity_definition("wg"))
    client.activate_pipeline(pipelineId=pipeline_id)
    task = poll(client, "wg")
    for _ in range(8):
        assert client.report_task_progress(taskId=task["taskId"])["canceled"] is False
        assert "taskObject" not in client.poll_for_task(workerGroup="wg")
        time.sleep(0.2)
    client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")


def test_deactivation_cancels_the_running_task(client: Any, pipelines: Any) -> None:
    pipeline_id, worker_group = activate_single(client, pipelines)
    task = poll(client, worker_group)
    assert client.report_task_progress(taskId=task["taskId"])["canceled"] is False
    client.deactivate_pipeline(pipelineId=pipeline_id)
    assert client.report_task_progress(taskId=task["taskId"])["canceled"] is True
    instance_id = attempt_fields(task)["@instanceParent"]["ref"]
    assert object_fields(client, pipeline_id, instance_id)[instance_id]["@status"] == "CANCELED"
    # A canceled task needs no status, but one is accepted.
    client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")
    assert object_fields(client, pipeline_id, instance_id)[instance_id]["@status"] == "CANCELED"


def test_try_cancel_reaches_the_runner(client: Any, pipelines: Any) -> None:
    pipeline_id, worker_group = activate_single(client, pipelines)
    task = poll(client, worker_group)
    instance_id = attempt_fields(task)["@instanceParent"]["ref"]
    client.set_status(pipelineId=pipeline_id, objectIds=[instance_id], status="TRY_CANCEL")
    assert client.report_task_progress(taskId=task["taskId"])["canceled"] is True


def test_rerun_runs_a_finished_instance_again(client: Any, pipelines: Any) -> None:
    pipeline_id, worker_group = activate_single(client, pipelines)
    first = poll(client, worker_group)
    client.set_task_status(taskId=first["taskId"], taskStatus="FINISHED")
    instance_id = attempt_fields(first)["@instanceParent"]["ref"]
    assert pipeline_state(client, pipeline_id) == "FINISHED"
    client.set_status(pipelineId=pipeline_id, objectIds=[instance_id], status="RERUN")
    second = poll(client, worker_group)
    assert attempt_fields(second)["@instanceParent"] == {"ref": instance_id}
    assert second["attemptId"] != first["attemptId"]
    client.set_task_status(taskId=second["taskId"], taskStatus="FINISHED")
    assert object_fields(client, pipeline_id, instance_id)[instance_id]["@status"] == "FINISHED"


def test_mark_finished_releases_dependents(client: Any, pipelines: Any) -> None:
    worker_group = unique("wg")
    definition = activity_definition(worker_group)
    definition["objects"].append(
        {"id": "After", "name": "After", "type": "ShellCommandActivity", "command": "echo after",
         "workerGroup": worker_group, "dependsOn": {"ref": "Work"}}
    )
    pipeline_id = pipelines()
    put(client, pipeline_id, definition)
    client.activate_pipeline(pipelineId=pipeline_id)
    work = poll(client, worker_group)
    assert attempt_fields(work)["@componentParent"] == {"ref": "Work"}
    instance_id = attempt_fields(work)["@instanceParent"]["ref"]
    client.set_status(pipelineId=pipeline_id, objectIds=[instance_id], status="MARK_FINISHED")
    # The holder of Work's lease is told to stop; After runs.
    assert client.report_task_progress(taskId=work["taskId"])["canceled"] is True
    after = poll(client, worker_group)
    assert attempt_fields(after)["@componentParent"] == {"ref": "After"}


def test_attempt_timeout_cancels_the_task(client: Any, pipelines: Any) -> None:
    # 10 minutes of pipeline time: one second at --time-scale 600.
    pipeline_id, worker_group = activate_single(client, pipelines, attemptTimeout="10 minutes", maximumRetries="0")
    task = poll(client, worker_group)
    client.report_task_progress(taskId=task["taskId"])
    wait_for(
        lambda: client.report_task_progress(taskId=task["taskId"])["canceled"],
        timeout=10, interval=0.2, message="canceled: true after attemptTimeout",
    )
    attempt = object_fields(client, pipeline_id, task["attemptId"])[task["attemptId"]]
    assert attempt["@status"] == "TIMEDOUT"


# --- pipeline management ------------------------------------------------


def test_pipeline_management(client: Any, pipelines: Any) -> None:
    name = unique("manage")
    pipeline_id = pipelines(name)
    # CreatePipeline is idempotent on (name, uniqueId).
    assert client.create_pipeline(name=name, uniqueId=name)["pipelineId"] == pipeline_id
    listed = [item for page in client.get_paginator("list_pipelines").paginate() for item in page["pipelineIdList"]]
    assert {"id": pipeline_id, "name": name} in listed
    assert pipeline_state(client, pipeline_id) == "PENDING"

    # Validation does not store; errors come back per object.
    definition = activity_definition("wg-manage")
    checked = client.validate_pipeline_definition(pipelineId=pipeline_id, **to_api(definition))
    assert checked["errored"] is False
    broken = copy.deepcopy(definition)
    broken["objects"][1]["type"] = "NoSuchActivity"
    checked = client.validate_pipeline_definition(pipelineId=pipeline_id, **to_api(broken))
    assert checked["errored"] is True
    assert [error["id"] for error in checked["validationErrors"]] == ["Work"]
    # Validation stored nothing, so there is nothing to activate.
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.activate_pipeline(pipelineId=pipeline_id)

    put(client, pipeline_id, definition)
    stored = client.get_pipeline_definition(pipelineId=pipeline_id)
    assert {item["id"] for item in stored["pipelineObjects"]} == {"Default", "Work"}
    work = fields_of(next(item for item in stored["pipelineObjects"] if item["id"] == "Work"))
    assert work["command"] == "echo work"
    # Nothing is active before activation.
    assert client.get_pipeline_definition(pipelineId=pipeline_id, version="active")["pipelineObjects"] == []

    client.add_tags(pipelineId=pipeline_id, tags=[{"key": "team", "value": "data"}, {"key": "env", "value": "test"}])
    client.remove_tags(pipelineId=pipeline_id, tagKeys=["env"])
    description = client.describe_pipelines(pipelineIds=[pipeline_id])["pipelineDescriptionList"][0]
    assert description["name"] == name
    assert description["tags"] == [{"key": "team", "value": "data"}]

    components = client.query_objects(pipelineId=pipeline_id, sphere="COMPONENT")
    assert set(components["ids"]) >= {"Default", "Work"}

    client.activate_pipeline(pipelineId=pipeline_id)
    assert client.get_pipeline_definition(pipelineId=pipeline_id, version="active")["pipelineObjects"]
    instances = client.query_objects(pipelineId=pipeline_id, sphere="INSTANCE")["ids"]
    assert len(instances) == 1 and instances[0].startswith("@Work_")
    evaluated = client.evaluate_expression(
        pipelineId=pipeline_id, objectId=instances[0], expression="#{format(@scheduledStartTime,'YYYY')}-done"
    )
    assert re.fullmatch(r"\d{4}-done", evaluated["evaluatedExpression"]), evaluated

    client.set_status(pipelineId=pipeline_id, objectIds=["Work"], status="PAUSE")
    client.set_status(pipelineId=pipeline_id, objectIds=["Work"], status="RESUME")
    client.deactivate_pipeline(pipelineId=pipeline_id, cancelActive=True)
    assert pipeline_state(client, pipeline_id) in {"INACTIVE", "DEACTIVATING"}

    client.delete_pipeline(pipelineId=pipeline_id)
    listed = [item["id"] for page in client.get_paginator("list_pipelines").paginate() for item in page["pipelineIdList"]]
    assert pipeline_id not in listed


# --- modeled errors -------------------------------------------------------


def test_pipeline_not_found(client: Any) -> None:
    missing = "df-0000000000000000000"
    with pytest.raises(client.exceptions.PipelineNotFoundException) as raised:
        client.describe_pipelines(pipelineIds=[missing])
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.PipelineNotFoundException):
        client.get_pipeline_definition(pipelineId=missing)
    with pytest.raises(client.exceptions.PipelineNotFoundException):
        client.activate_pipeline(pipelineId=missing)


def test_task_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.TaskNotFoundException):
        client.report_task_progress(taskId="no-such-task")
    with pytest.raises(client.exceptions.TaskNotFoundException):
        client.set_task_status(taskId="no-such-task", taskStatus="FINISHED")


def test_pipeline_deleted(client: Any, pipelines: Any) -> None:
    pipeline_id, worker_group = activate_single(client, pipelines)
    task = poll(client, worker_group)
    client.delete_pipeline(pipelineId=pipeline_id)
    with pytest.raises(client.exceptions.PipelineDeletedException):
        client.report_task_progress(taskId=task["taskId"])
    with pytest.raises(client.exceptions.PipelineDeletedException):
        client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")
    with pytest.raises(client.exceptions.PipelineDeletedException):
        client.describe_pipelines(pipelineIds=[pipeline_id])
    with pytest.raises(client.exceptions.PipelineDeletedException):
        client.get_pipeline_definition(pipelineId=pipeline_id)


#: Every operation about one pipeline, with otherwise valid arguments.
PIPELINE_OPERATIONS = {
    "ActivatePipeline": {},
    "AddTags": {"tags": [{"key": "k", "value": "v"}]},
    "DeactivatePipeline": {},
    "DeletePipeline": {},
    "DescribeObjects": {"objectIds": ["Work"]},
    "EvaluateExpression": {"objectId": "Work", "expression": "#{1 + 1}"},
    "GetPipelineDefinition": {},
    "PutPipelineDefinition": to_api(activity_definition("wg")),
    "QueryObjects": {"sphere": "COMPONENT"},
    "RemoveTags": {"tagKeys": ["k"]},
    "SetStatus": {"objectIds": ["Work"], "status": "PAUSE"},
    "ValidatePipelineDefinition": to_api(activity_definition("wg")),
}


@pytest.mark.parametrize("operation", sorted(PIPELINE_OPERATIONS))
def test_a_deleted_pipeline_answers_the_modeled_error(client: Any, pipelines: Any, operation: str) -> None:
    """PipelineDeletedException where the operation's model declares it;
    PipelineNotFoundException where it does not (DeletePipeline), since an
    SDK cannot match an undeclared error to its class."""
    pipeline_id = pipelines()
    put(client, pipeline_id, activity_definition("wg"))
    client.delete_pipeline(pipelineId=pipeline_id)
    declared = {shape.name for shape in client.meta.service_model.operation_model(operation).error_shapes}
    expected = "PipelineDeletedException" if "PipelineDeletedException" in declared else "PipelineNotFoundException"
    method = getattr(client, botocore.xform_name(operation))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        method(pipelineId=pipeline_id, **PIPELINE_OPERATIONS[operation])
    assert error_code(raised.value) == expected
    assert expected in declared


def test_invalid_requests(client: Any, pipelines: Any) -> None:
    empty = pipelines()
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.activate_pipeline(pipelineId=empty)
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.describe_objects(pipelineId=empty, objectIds=[f"object{i}" for i in range(26)])

    pipeline_id, worker_group = activate_single(client, pipelines)
    task = poll(client, worker_group)
    with pytest.raises(client.exceptions.InvalidRequestException) as raised:
        client.set_task_status(taskId=task["taskId"], taskStatus="FAILED", errorId="Service_Reserved")
    assert "Service_" in raised.value.response["Error"]["Message"]
    # The refused call changed nothing: the lease is still live.
    client.set_task_status(taskId=task["taskId"], taskStatus="FINISHED")
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.set_status(pipelineId=pipeline_id, objectIds=["Work"], status="TRY_CANCEL")


# --- the binary's flags -------------------------------------------------


def test_injected_faults(start_custom_service: Any) -> None:
    service = start_custom_service(
        "--fault", "ListPipelines:throttle:nth=1",
        "--fault", "DescribePipelines:error:nth=1",
        "--fault-seed", "7",
    )
    no_retries = boto3_client(service.endpoint, attempts=1)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        no_retries.list_pipelines()
    assert error_code(raised.value) == "ThrottlingException"
    assert no_retries.list_pipelines()["pipelineIdList"] == []

    pipeline_id = no_retries.create_pipeline(name="faults", uniqueId="faults")["pipelineId"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        no_retries.describe_pipelines(pipelineIds=[pipeline_id])
    assert error_code(raised.value) == "InternalServiceError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert no_retries.describe_pipelines(pipelineIds=[pipeline_id])["pipelineDescriptionList"]


def test_an_sdk_retry_rides_out_an_injected_error(start_custom_service: Any) -> None:
    service = start_custom_service("--fault", "ListPipelines:error:nth=1")
    assert boto3_client(service.endpoint, attempts=3).list_pipelines()["pipelineIdList"] == []


def test_signed_requests_are_checked(start_custom_service: Any) -> None:
    service = start_custom_service("--access-key-id", "test", "--secret-access-key", "test")
    assert boto3_client(service.endpoint).list_pipelines()["pipelineIdList"] == []
    wrong = boto3_client(service.endpoint, aws_access_key_id="test", aws_secret_access_key="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        wrong.list_pipelines()
    assert error_code(raised.value) == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    unsigned = boto3.session.Session().client(
        "datapipeline", endpoint_url=service.endpoint, config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
    )
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        unsigned.list_pipelines()
    assert error_code(raised.value) == "InvalidSignatureException"


def test_terminate_runner_flag(start_custom_service: Any) -> None:
    service = start_custom_service("--terminate-runner", "doomed")
    client = boto3_client(service.endpoint)
    assert client.report_task_runner_heartbeat(taskrunnerId="doomed", workerGroup="wg")["terminate"] is True
    assert client.report_task_runner_heartbeat(taskrunnerId="spared", workerGroup="wg")["terminate"] is False


# --- expressions in the fields that route work ------------------------------


def test_a_parameterized_worker_group_is_evaluated(client: Any, pipelines: Any) -> None:
    worker_group = unique("wg")
    definition = activity_definition("#{myWorkerGroup}")
    definition["parameters"] = [{"id": "myWorkerGroup", "type": "String", "default": worker_group}]
    pipeline_id = pipelines()
    put(client, pipeline_id, definition)
    client.activate_pipeline(pipelineId=pipeline_id)
    answer = client.poll_for_task(workerGroup=worker_group)
    assert "taskObject" in answer, "no task on the evaluated worker group"
    assert attempt_fields(answer["taskObject"])["workerGroup"] == worker_group
