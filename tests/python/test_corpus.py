"""The definition corpus (tests/corpus/): every example definition and example
object of AWS's Developer Guide, put through the AWS CLI against
`datapipeline-local`.

For each entry: `create-pipeline`, `put-pipeline-definition` with the
entry's file (and the parameter objects and values its page gives),
`activate-pipeline`, then `get-pipeline-definition` must give back what was
put. Entries the Guide itself gets wrong are listed in KNOWN_BAD with the
reason, and the service must refuse them naming the problem.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import logging
import subprocess
import sys
from collections import defaultdict
from typing import Any

import pytest

from conftest import REPO_ROOT, CliResult, to_api, unique

CORPUS = REPO_ROOT / "tests" / "corpus"
INDEX = CORPUS / "index.json"

#: Guide examples AWS itself would refuse, by entry: why, and a piece of the
#: message the service must answer with (compared case-insensitively).
KNOWN_BAD: dict[str, tuple[str, str]] = {
    "dp-copydata-redshift-define-pipeline-cli-1": (
        "the tutorial's Schedule keeps the placeholders the reader is to fill in: "
        "period 'period', start and end 'yyyy-mm-ddT00:00:00'",
        "yyyy-mm-ddT00:00:00",
    ),
    "dp-object-redshiftcopyactivity-2": (
        "the same tutorial definition, with the same placeholder period and dates",
        "yyyy-mm-ddT00:00:00",
    ),
    "dp-object-hadoopactivity-5": (
        "two ShellScriptConfig objects share the id 'ShellScriptConfig' while Default refers to "
        "them by their names (preTaskScriptConfig, postTaskScriptConfig), and the Schedule keeps "
        "the placeholders start_datetime and end_datetime",
        "preTaskScriptConfig",
    ),
}


class InProcessAwsCli:
    """The AWS CLI's own driver, run inside the test process.

    The same code as the `aws` command (awscli's `clidriver`), arguments and
    output alike, without starting a Python interpreter per command: with
    four commands for each of some eighty entries, that start-up was most of
    the suite's time. Files are given as absolute `file://` paths, so the
    working directory does not matter.
    """

    def __init__(self, endpoint_url: str) -> None:
        from awscli.clidriver import create_clidriver

        self.endpoint_url = endpoint_url
        # One driver for the commands of one test: building it (loading the
        # service models) costs more than a command.
        self.driver = create_clidriver()

    def __call__(self, *args: str) -> CliResult:
        """Runs `aws --endpoint-url URL --output json datapipeline ARGS…`."""
        stdout, stderr = io.StringIO(), io.StringIO()
        # The driver turns its own logger to DEBUG; keep its log (every
        # argument it unpacks) out of the failure reports, and leave the
        # logger as it was.
        awscli_logger = logging.getLogger("awscli")
        level = awscli_logger.level
        logging.disable(logging.INFO)
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                returncode = self.driver.main(["--endpoint-url", self.endpoint_url, "--output", "json", "datapipeline", *args])
        finally:
            logging.disable(logging.NOTSET)
            awscli_logger.setLevel(level)
        return CliResult(returncode, stdout.getvalue(), stderr.getvalue())

    def ok(self, *args: str) -> Any:
        """Runs the command, asserts it succeeded, and answers its JSON."""
        result = self(*args)
        assert result.returncode == 0, f"aws datapipeline {' '.join(args)} exited {result.returncode}: {result.stderr}"
        return result.json()


@pytest.fixture
def cli(endpoint: str) -> InProcessAwsCli:
    """The AWS CLI's driver, pointed at the shared service."""
    return InProcessAwsCli(endpoint)


def corpus_entries() -> list[dict[str, Any]]:
    """The entries of index.json; none when it is missing (the freshness
    test then fails and says so)."""
    if not INDEX.is_file():
        return []
    return json.loads(INDEX.read_text())["entries"]


ENTRIES = corpus_entries()


def test_corpus_matches_a_fresh_extraction() -> None:
    """The committed corpus is what extract.py makes of the Guide now, so a
    change to the Guide or to the script shows up here. A missing Guide is a
    failure, with the places it was looked for."""
    completed = subprocess.run(
        [sys.executable, str(CORPUS / "extract.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, (
        "tests/corpus differs from a fresh run of tests/corpus/extract.py "
        f"(run it and commit the result):\n{completed.stderr}{completed.stdout}"
    )
    assert ENTRIES, "tests/corpus/index.json holds no entries"


def test_known_bad_entries_exist() -> None:
    """KNOWN_BAD names only entries the corpus has."""
    names = {entry["name"] for entry in ENTRIES}
    assert not set(KNOWN_BAD) - names, f"KNOWN_BAD names entries that are not in the corpus: {sorted(set(KNOWN_BAD) - names)}"


def read_json(relative: str) -> Any:
    """A corpus file, by its path under tests/corpus."""
    return json.loads((CORPUS / relative).read_text())


def put_arguments(entry: dict[str, Any], pipeline_id: str) -> list[str]:
    """`put-pipeline-definition`'s arguments for an entry, as its page gives
    them: a definition file, and parameter objects and values files or
    command-line values where the page has them."""
    arguments = ["put-pipeline-definition", "--pipeline-id", pipeline_id]
    arguments += ["--pipeline-definition", f"file://{CORPUS / entry['file']}"]
    if "parameterObjectsFile" in entry:
        arguments += ["--parameter-objects", f"file://{CORPUS / entry['parameterObjectsFile']}"]
    if "parameterValuesFile" in entry:
        arguments += ["--parameter-values-uri", f"file://{CORPUS / entry['parameterValuesFile']}"]
    if entry.get("parameterValues"):
        arguments += ["--parameter-values", *(f"{key}={value}" for key, value in entry["parameterValues"].items())]
    return arguments


def submitted_definition(entry: dict[str, Any]) -> dict[str, Any]:
    """Everything the CLI sends for an entry, as one definition-file dict."""
    definition = copy.deepcopy(read_json(entry["file"]))
    if "parameterObjectsFile" in entry:
        definition["parameters"] = read_json(entry["parameterObjectsFile"])["parameters"]
    values = dict(definition.get("values", {}))
    if "parameterValuesFile" in entry:
        values.update(read_json(entry["parameterValuesFile"])["values"])
    values.update(entry.get("parameterValues", {}))
    if values:
        definition["values"] = values
    return definition


def keyed(items: list[dict[str, Any]], list_key: str) -> dict[str, Any]:
    """Objects or parameters by id, each with its name (for objects) and its
    fields' values per key in the order given; the order of keys and of
    objects does not matter, the order of one key's values does."""
    result: dict[str, Any] = {}
    for item in items:
        values: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for field in item[list_key]:
            kind = "ref" if "refValue" in field else "string"
            values[field["key"]].append((kind, field.get("refValue", field.get("stringValue"))))
        result[item["id"]] = {"name": item.get("name"), "fields": dict(values)}
    return result


def values_by_id(values: list[dict[str, str]] | None) -> dict[str, list[str]]:
    """Parameter values grouped by parameter id, in the order given."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for value in values or []:
        grouped[value["id"]].append(value["stringValue"])
    return dict(grouped)


def cli_view(definition: dict[str, Any]) -> dict[str, Any]:
    """What `get-pipeline-definition` prints for a definition, computed with
    the CLI's own translator (it keeps only the first value of a repeated
    field, and gives every object a name)."""
    from awscli.customizations.datapipeline import translator

    api = to_api(definition)
    response: dict[str, Any] = {"pipelineObjects": api["pipelineObjects"]}
    if api.get("parameterObjects"):
        response["parameterObjects"] = api["parameterObjects"]
    if api.get("parameterValues"):
        response["parameterValues"] = api["parameterValues"]
    return normalised_cli_view(translator.api_to_definition(response))


def normalised_cli_view(view: dict[str, Any]) -> dict[str, Any]:
    """A CLI definition with objects and parameters keyed by id."""
    return {
        "objects": {item["id"]: item for item in view.get("objects", [])},
        "parameters": {item["id"]: item for item in view.get("parameters", [])},
        "values": view.get("values", {}),
    }


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["name"] for entry in ENTRIES])
def test_guide_example(entry: dict[str, Any], cli: InProcessAwsCli, client: Any) -> None:
    """One Guide example through the AWS CLI: accepted, activated, and read
    back unchanged (or, for KNOWN_BAD, refused naming the problem). The
    pipeline is deleted at the end (with boto3), so that no activated
    example keeps queueing tasks."""
    name = unique(entry["name"])
    pipeline_id = cli.ok("create-pipeline", "--name", name, "--unique-id", name)["pipelineId"]
    try:
        put = cli(*put_arguments(entry, pipeline_id))
        answer = put.json() if put.returncode == 0 else None
        if entry["name"] in KNOWN_BAD:
            reason, message = KNOWN_BAD[entry["name"]]
            refused = put.returncode != 0 or (answer or {}).get("errored") is True
            assert refused, f"{entry['name']} is listed as wrong in the Guide ({reason}) but was accepted: {answer}"
            said = (put.stdout + put.stderr).lower()
            assert message.lower() in said, f"the refusal of {entry['name']} ({reason}) should mention {message!r}; it said: {said}"
            return

        assert put.returncode == 0, f"put-pipeline-definition of {entry['file']} exited {put.returncode}: {put.stderr}"
        assert answer["errored"] is False, (
            f"{entry['file']} (from {entry['page']}) was refused: "
            f"{json.dumps(answer.get('validationErrors'), indent=1)}"
        )
        cli.ok("activate-pipeline", "--pipeline-id", pipeline_id)

        # What the CLI prints: its own translation of the definition.
        printed = cli.ok("get-pipeline-definition", "--pipeline-id", pipeline_id)
        assert normalised_cli_view(printed) == cli_view(submitted_definition(entry))

        # What the service stores, exactly: every value of repeated fields,
        # in order.
        expected = to_api(submitted_definition(entry))
        stored = client.get_pipeline_definition(pipelineId=pipeline_id)
        assert keyed(stored["pipelineObjects"], "fields") == keyed(expected["pipelineObjects"], "fields")
        assert keyed(stored.get("parameterObjects", []), "attributes") == keyed(expected.get("parameterObjects") or [], "attributes")
        assert values_by_id(stored.get("parameterValues")) == values_by_id(expected.get("parameterValues"))
    finally:
        client.delete_pipeline(pipelineId=pipeline_id)


def test_every_entry_has_its_page() -> None:
    """Each entry names a page of the Guide and a file that exists."""
    for entry in ENTRIES:
        assert entry["page"].endswith(".md"), entry
        assert (CORPUS / entry["file"]).is_file(), entry
        assert isinstance(entry["runnableLocally"], bool) and entry["runnableReason"], entry


def test_corpus_has_no_non_string_values() -> None:
    """Every field value is a string, a reference or a list of those: what the
    CLI's definition format can send."""

    def check(value: Any, where: str) -> None:
        if isinstance(value, list):
            for item in value:
                check(item, where)
        elif isinstance(value, dict):
            assert list(value) == ["ref"] and isinstance(value["ref"], str), where
        else:
            assert isinstance(value, str), f"{where}: {value!r}"

    for entry in ENTRIES:
        for item in read_json(entry["file"])["objects"]:
            for key, value in item.items():
                check(value, f"{entry['name']}: {item.get('id')}.{key}")


def extract_module() -> Any:
    """tests/corpus/extract.py, imported from its path (once)."""
    name = "corpus_extract"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, CORPUS / "extract.py")
        module = importlib.util.module_from_spec(spec)
        # Registered before it runs: its dataclasses look their module up.
        sys.modules[name] = module
        # No __pycache__ left in tests/corpus, which holds only data and
        # the script.
        writes_bytecode = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            spec.loader.exec_module(module)
        finally:
            sys.dont_write_bytecode = writes_bytecode
    return sys.modules[name]


@pytest.mark.parametrize(
    ("block", "value", "fix"),
    [
        ('{\u201cid\u201d: "A", "type": "Schedule"}', {"id": "A", "type": "Schedule"}, "curly quotes"),
        ('{"id": "A"},\n{"id": "B"},', [{"id": "A"}, {"id": "B"}], "one after another"),
        ('{"id": "A", "step": "1", "step": "2"}', {"id": "A", "step": ["1", "2"]}, "given twice"),
        ('{"objects": [\n{"id": "A"},\n...\n]}', {"objects": [{"id": "A"}]}, "elided"),
        ('{"id": "A", "x": "y"\n  }\n},', {"id": "A", "x": "y"}, "close nothing"),
        ('{"id": "A",\n...', {"id": "A"}, "left open"),
        ('{"id": "A", "x": "a\\,b"}', {"id": "A", "x": "a\\,b"}, "literal backslash"),
    ],
)
def test_extract_reads_the_guides_almost_json(block: str, value: Any, fix: str) -> None:
    """The repairs extract.py makes to the Guide's blocks, each recorded."""
    parsed, fixes = extract_module().parse_lenient(block)
    assert parsed == value
    assert any(fix in recorded for recorded in fixes), fixes


def test_extract_wraps_lone_objects_with_stubs_and_a_default() -> None:
    """A lone activity gets a typed stub per dangling reference, and a
    Default with the schedule and the worker group its type requires."""
    extract = extract_module()
    entry = extract.Entry("example-1", "example.md", [1], "objects", {})
    tables = extract.field_tables(extract.find_guide())
    activity = {
        "id": "Work",
        "type": "ShellCommandActivity",
        "command": "true",
        "schedule": {"ref": "Daily"},
        "input": {"ref": "In"},
    }
    objects = {item["id"]: item for item in extract.wrap_objects([activity], tables, entry)}
    assert objects["Daily"]["type"] == "Schedule"
    assert objects["In"]["type"] == "S3DataNode"
    assert objects["Default"] == {
        "id": "Default",
        "name": "Default",
        "scheduleType": "cron",
        "schedule": {"ref": "Daily"},
        "workerGroup": extract.WORKER_GROUP,
    }
    assert [stub["id"] for stub in entry.stubs] == ["Daily", "In"]
