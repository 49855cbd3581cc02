"""System-managed preconditions through the AWS CLI: the service checks
S3KeyExists itself (no runner ever polls it), and says why when it cannot.

The checks against a real S3 store are in
crates/datapipeline-local/tests/preconditions.rs; here the binary's own
flags are exercised: no store at all, and `--s3-endpoint` naming a store
that does not answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import FAST_ARGS, AwsCli, unique, wait_for


def guarded_definition(key_fields: dict[str, str]) -> dict[str, Any]:
    """`Work` guarded by the precondition `Ready`, in the AWS CLI's file format."""
    ready = {"id": "Ready", "name": "Ready", "type": "S3KeyExists", "role": "DataPipelineDefaultRole"}
    ready.update(key_fields)
    return {
        "objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand", "workerGroup": "checks"},
            ready,
            {
                "id": "Work",
                "name": "Work",
                "type": "ShellCommandActivity",
                "command": "true",
                "precondition": {"ref": "Ready"},
            },
        ]
    }


def run_guarded(aws: AwsCli, tmp_path: Path, key_fields: dict[str, str]) -> str:
    """Creates, puts and activates the guarded pipeline; answers its id."""
    definition = tmp_path / "guarded.json"
    definition.write_text(json.dumps(guarded_definition(key_fields)))
    name = unique("guarded")
    pipeline_id = aws.ok("create-pipeline", "--name", name, "--unique-id", name)["pipelineId"]
    put = aws.ok("put-pipeline-definition", "--pipeline-id", pipeline_id, "--pipeline-definition", f"file://{definition}")
    assert put["errored"] is False, put
    aws.ok("activate-pipeline", "--pipeline-id", pipeline_id)
    return pipeline_id


def ended_ready(aws: AwsCli, pipeline_id: str) -> dict[str, str]:
    """The fields of `Ready`'s instance once it has ended."""

    def ended() -> Any:
        ids = aws.ok("query-objects", "--pipeline-id", pipeline_id, "--sphere", "INSTANCE")["ids"]
        ready = [object_id for object_id in ids if object_id.startswith("@Ready_")]
        if not ready:
            return None
        described = aws.ok("describe-objects", "--pipeline-id", pipeline_id, "--object-ids", ready[0])
        fields = {field["key"]: field.get("stringValue") for field in described["pipelineObjects"][0]["fields"]}
        return fields if fields.get("@status") in ("FINISHED", "FAILED") else None

    return wait_for(ended, timeout=20, message="Ready to end")


def test_without_a_store_s3_key_exists_fails_saying_how_to_give_one(
    start_custom_service: Any, tmp_path: Path
) -> None:
    service = start_custom_service(*FAST_ARGS)
    aws = AwsCli(service.endpoint)
    pipeline_id = run_guarded(aws, tmp_path, {"s3Key": "s3://inputs/_SUCCESS"})
    fields = ended_ready(aws, pipeline_id)
    assert fields["@status"] == "FAILED"
    assert fields["errorId"] == "NoS3Store"
    assert "--s3-endpoint" in fields["errorMessage"]
    # The precondition was never a task: the worker group's queue is empty.
    polled = aws.ok("poll-for-task", "--worker-group", "checks")
    assert not polled or "taskObject" not in polled


def test_s3_endpoint_is_where_the_service_checks(start_custom_service: Any, tmp_path: Path) -> None:
    # Port 9 (discard) on the loopback: nothing listens, every check fails
    # with the store's error, and maximumRetries 0 ends it at the first.
    service = start_custom_service(*FAST_ARGS, "--s3-endpoint", "http://127.0.0.1:9")
    aws = AwsCli(service.endpoint)
    pipeline_id = run_guarded(aws, tmp_path, {"s3Key": "s3://inputs/_SUCCESS", "maximumRetries": "0"})
    fields = ended_ready(aws, pipeline_id)
    assert fields["@status"] == "FAILED"
    assert fields["errorId"] == "S3Error"
    assert "s3://inputs/_SUCCESS" in fields["errorMessage"]
