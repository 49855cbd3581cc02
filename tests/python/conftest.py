"""Shared fixtures: a `datapipeline-local` process, and clients pointed at it.

The suite builds nothing: `tests/run.sh` builds the workspace first. The
binary comes from `$DATAPIPELINE_LOCAL_BIN`, else
`target/debug/datapipeline-local` under the repository root.

Every client here gets its credentials and region from the environment set
below, never from `~/.aws`: the config and credentials files point at
/dev/null.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "pipelines"

#: The timings of the shared service: everything a test waits for is short,
#: and pipeline time runs 600 times faster (a 10-minute retryDelay passes in
#: a second, a 15-minute schedule period in 1.5 s).
LONG_POLL_WAIT_SECONDS = 1
ACK_TIMEOUT_SECONDS = 5
FAST_ARGS = [
    "--long-poll-wait", f"{LONG_POLL_WAIT_SECONDS}s",
    "--ack-timeout", f"{ACK_TIMEOUT_SECONDS}s",
    "--report-progress-timeout", "30s",
    "--retry-delay-floor", "0s",
    "--time-scale", "600",
    "--work-time-scale", "600",
]

#: How long a service may take to print its endpoint.
STARTUP_SECONDS = 30

#: The environment every client in the suite runs with: fixed test
#: credentials, one region, and no user configuration.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_PAGER": "",
}
#: Variables that would override the above or send requests elsewhere.
AWS_UNSET = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DATA_PIPELINE",
    "AWS_CA_BUNDLE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
]


def pytest_configure(config: pytest.Config) -> None:
    """Fixes the AWS environment before any client is made.

    Done at configure time, not in a fixture, so that boto3 sessions and the
    `aws` subprocesses alike see it, whatever fixtures a test uses.
    """
    for name in AWS_UNSET:
        os.environ.pop(name, None)
    os.environ.update(AWS_ENVIRONMENT)


def service_binary() -> Path:
    """The `datapipeline-local` binary the suite runs."""
    configured = os.environ.get("DATAPIPELINE_LOCAL_BIN")
    path = Path(configured) if configured else Path("target/debug/datapipeline-local")
    return path if path.is_absolute() else REPO_ROOT / path


@dataclass
class Service:
    """A running `datapipeline-local` process."""

    process: subprocess.Popen[str]
    endpoint: str
    log_path: Path
    args: list[str]

    def log(self) -> str:
        """What the service wrote to stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stops the service with SIGTERM, then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


def start_service(args: list[str], log_directory: Path) -> Service:
    """Starts the binary on a free port and waits for its endpoint line."""
    binary = service_binary()
    if not binary.is_file():
        pytest.fail(
            f"{binary} does not exist: build it with `cargo build -p datapipeline-local` "
            "(tests/run.sh builds it), or set DATAPIPELINE_LOCAL_BIN",
            pytrace=False,
        )
    log_path = log_directory / f"datapipeline-local-{uuid.uuid4().hex[:8]}.log"
    command = [str(binary), "--port", "0", *args]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=REPO_ROOT,
        )
    # readline() blocks, so read the first line on a thread and wait for it
    # with a deadline.
    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(STARTUP_SECONDS)
    line = first_line[0].strip() if first_line else ""
    prefix = "datapipeline-local listening on "
    if not line.startswith(prefix):
        process.kill()
        process.wait(timeout=10)
        pytest.fail(
            f"{' '.join(command)} did not print its endpoint within {STARTUP_SECONDS}s "
            f"(first line: {line!r}, exit code: {process.returncode}); its log:\n{log_path.read_text(errors='replace')}",
            pytrace=False,
        )
    return Service(process=process, endpoint=line[len(prefix):], log_path=log_path, args=args)


@pytest.fixture(scope="session")
def log_directory() -> Iterator[Path]:
    """Where the services' logs go; printed when a service fails to start."""
    with tempfile.TemporaryDirectory(prefix="datapipeline-local-tests-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def service(log_directory: Path) -> Iterator[Service]:
    """The shared service, with fast timings (see FAST_ARGS)."""
    running = start_service(FAST_ARGS, log_directory)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def endpoint(service: Service) -> str:
    """The shared service's endpoint URL."""
    return service.endpoint


@pytest.fixture
def start_custom_service(log_directory: Path) -> Iterator[Any]:
    """Starts services with other flags (faults, credentials, timings) for
    one test, and stops them when it ends."""
    started: list[Service] = []

    def start(*args: str) -> Service:
        running = start_service(list(args), log_directory)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def boto3_client(endpoint_url: str, read_timeout: float = 10, attempts: int = 3, **kwargs: Any) -> Any:
    """A Data Pipeline client for `endpoint_url`, with client-side parameter
    validation on (botocore's default).

    `read_timeout` must exceed the service's long-poll wait: PollForTask may
    hold the connection that long before it answers `{}`. `attempts` counts
    the first try: 1 means no retries.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        read_timeout=read_timeout,
        connect_timeout=5,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )
    session = boto3.session.Session()
    return session.client("datapipeline", endpoint_url=endpoint_url, config=config, **kwargs)


@pytest.fixture
def client(endpoint: str) -> Any:
    """A boto3 Data Pipeline client for the shared service."""
    return boto3_client(endpoint, read_timeout=LONG_POLL_WAIT_SECONDS + 10)


@dataclass
class CliResult:
    """What one `aws` command did."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The command's output as JSON; `None` for an empty output."""
        return json.loads(self.stdout) if self.stdout.strip() else None


class AwsCli:
    """Runs the virtual environment's `aws` against one endpoint."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        # The `aws` script next to the interpreter running the tests.
        self.executable = str(Path(sys.executable).with_name("aws"))

    def __call__(self, *args: str, output: str | None = "json", timeout: float = 120) -> CliResult:
        """Runs `aws --endpoint-url URL [--output OUTPUT] datapipeline ARGS…`
        from the repository root, so `file://examples/…` paths resolve.
        `output=None` leaves the CLI's default format (list-runs' table)."""
        command = [self.executable, "--endpoint-url", self.endpoint_url]
        if output is not None:
            command += ["--output", output]
        command += ["datapipeline", *args]
        completed = subprocess.run(
            command,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    def ok(self, *args: str, timeout: float = 120) -> Any:
        """Runs the command, asserts it succeeded, and answers its JSON."""
        result = self(*args, timeout=timeout)
        assert result.returncode == 0, f"aws datapipeline {' '.join(args)} exited {result.returncode}: {result.stderr}"
        return result.json()


@pytest.fixture
def aws(endpoint: str) -> AwsCli:
    """The AWS CLI, pointed at the shared service."""
    cli = AwsCli(endpoint)
    if not Path(cli.executable).is_file():
        pytest.fail(f"{cli.executable} does not exist: install tests/python/requirements.txt", pytrace=False)
    return cli


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pipelines(client: Any) -> Iterator[Any]:
    """Creates pipelines for a test and deletes them when it ends, so that no
    test leaves tasks queued for the next one (the example files share the
    worker group `local`)."""
    created: list[str] = []

    def create(name: str | None = None, unique_id: str | None = None) -> str:
        name = name or unique("pipeline")
        pipeline_id = client.create_pipeline(name=name, uniqueId=unique_id or name)["pipelineId"]
        created.append(pipeline_id)
        return pipeline_id

    create.created = created  # type: ignore[attr-defined]
    yield create
    for pipeline_id in created:
        try:
            client.delete_pipeline(pipelineId=pipeline_id)
        except client.exceptions.PipelineDeletedException:
            pass
        except client.exceptions.PipelineNotFoundException:
            pass


def load_example(name: str) -> dict[str, Any]:
    """An example definition file, as the AWS CLI reads it."""
    return json.loads((EXAMPLES / name).read_text())


def to_api(definition: dict[str, Any]) -> dict[str, Any]:
    """PutPipelineDefinition's arguments for a definition in the AWS CLI's
    file format, converted by the AWS CLI's own translator."""
    from awscli.customizations.datapipeline import translator

    # The translator consumes what it reads (it pops each object's id).
    definition = copy.deepcopy(definition)
    arguments: dict[str, Any] = {"pipelineObjects": translator.definition_to_api_objects(definition)}
    if "parameters" in definition:
        arguments["parameterObjects"] = translator.definition_to_api_parameters(definition)
    if "values" in definition:
        arguments["parameterValues"] = translator.definition_to_parameter_values(definition)
    return arguments


def fields_of(api_object: dict[str, Any]) -> dict[str, Any]:
    """An object's fields as a dict: a single value per key, or a list for
    repeated keys; references as `{"ref": id}`."""
    fields: dict[str, Any] = {}
    for field in api_object["fields"]:
        value = field["stringValue"] if "stringValue" in field else {"ref": field["refValue"]}
        if field["key"] in fields:
            existing = fields[field["key"]]
            fields[field["key"]] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            fields[field["key"]] = value
    return fields


def wait_for(predicate: Any, timeout: float = 15, interval: float = 0.1, message: str = "condition") -> Any:
    """Polls `predicate` until it answers something truthy; fails after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message} (last value: {value!r})")
        time.sleep(interval)
