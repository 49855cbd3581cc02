#!/usr/bin/env python3
"""Builds the definition corpus from the AWS Data Pipeline Developer Guide.

Reads every page of the Guide, finds the fenced code blocks that hold a
pipeline definition or example pipeline objects, and writes each one as a
definition file in the AWS CLI's format under `definitions/`, with
`index.json` saying where each came from and what was done to it. See
README.md next to this script.

Usage: `python3 tests/corpus/extract.py [--check]`. `--check` writes
nothing and exits 1 when the committed files differ from a fresh run.

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFINITIONS = HERE / "definitions"
INDEX = HERE / "index.json"

#: Where the Guide is looked for, in order, after `$DATAPIPELINE_GUIDE`.
GUIDE_PLACES = [
    REPO_ROOT.parent / "shared/reference/aws-data-pipeline-developer-guide/doc_source",
]

#: Blocks the script cannot turn into a definition, with the reason. Keyed
#: by (page, block number). Everything else that looks like a definition
#: and fails to parse stops the script, so a new shape is never lost quietly.
SKIPPED = {
    ("dp-concepts-staging.md", 3): "the hiveScript string holds unescaped double quotes, so the block is not JSON",
    ("dp-object-sqlactivity.md", 1): "shows two alternatives joined by '|' and an unquoted URI: a syntax sketch, not JSON",
    ("dp-writing-pipeline-definition.md", 1): "syntax sketch with placeholder field names (name1, value1)",
    ("dp-make-http-request.md", 2): "a raw PutPipelineDefinition request body (API format), not a definition file",
    ("emrcluster-example-java.md", 1): "Java SDK code, not JSON",
}

#: The parameter values a page gives only in prose or on a command line, by
#: entry name, passed with `--parameter-values`. Empty: the Guide's only
#: values are in dp-custom-templates.md's values.json and in the "values"
#: sections of two definitions (emrcluster-example-ebs.md,
#: emrcluster-example-private-subnet.md), which the script reads itself.
HAND_WRITTEN_VALUES: dict[str, dict[str, Any]] = {}

#: Activities that only run on an EMR cluster: a `runsOn` stub for them is
#: an EmrCluster (dp-object-emractivity.md, dp-object-hiveactivity.md, ...).
EMR_WORK = {"EmrActivity", "HiveActivity", "HiveCopyActivity", "PigActivity", "HadoopActivity"}

#: What may run under `taskrunner local`: work done by shell commands, S3
#: preconditions the service evaluates, and S3 data nodes for staging.
LOCAL_TYPES = {
    "ShellCommandActivity",
    "ShellCommandPrecondition",
    "S3KeyExists",
    "S3PrefixNotEmpty",
    "S3DataNode",
    "Schedule",
    "Ec2Resource",
    "SnsAlarm",
    "Terminate",
    "CSV",
    "TSV",
    "Custom",
    "RegEx",
    "ShellScriptConfig",
    # Proxy settings of the resource the local run stands in for.
    "HttpProxy",
}

#: What a local run of a runnable entry needs beyond the definition, by entry.
RUN_NOTES = {
    "dp-concepts-staging-1": "stages its input from s3://my_bucket/source/...: put files there in the local store first",
    "dp-custom-templates-1": "its input defaults to AWS's public sample s3://us-east-1.elasticmapreduce.samples/pig-apache-logs/data: put files there in the local store, or give myS3InputLoc",
    "dp-pipeline-expressions-6": "its command is the placeholder script /home/userName/xxx.sh: the run fails unless that script exists",
}

ROLE = "DataPipelineDefaultRole"
RESOURCE_ROLE = "DataPipelineDefaultResourceRole"
WORKER_GROUP = "corpus-workers"
STUB_BUCKET = "s3://corpus-stub-bucket"


class Unparseable(Exception):
    """A block that looks like a definition but cannot be read."""


@dataclass
class Block:
    """One fenced code block of a page."""

    page: str
    number: int  # 1-based, counting every fenced block of the page
    text: str


@dataclass
class Entry:
    """One corpus entry: a definition file and what was done to make it."""

    name: str
    page: str
    blocks: list[int]
    kind: str  # "definition" or "objects"
    definition: dict[str, Any]
    fixes: list[str] = field(default_factory=list)
    stubs: list[dict[str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    parameter_objects: dict[str, Any] | None = None
    parameter_values: dict[str, Any] | None = None


# --- finding and reading the Guide -------------------------------------------------


def find_guide() -> Path:
    """The Guide's doc_source directory; exits naming every place tried."""
    places = []
    configured = os.environ.get("DATAPIPELINE_GUIDE")
    if configured:
        places.append(Path(configured))
    places += GUIDE_PLACES
    for place in places:
        if (place / "dp-object-schedule.md").is_file():
            return place
    tried = ", ".join(str(place) for place in places)
    raise SystemExit(f"the AWS Data Pipeline Developer Guide was not found; looked in: {tried} (set DATAPIPELINE_GUIDE)")


def fenced_blocks(page: str, text: str) -> list[Block]:
    """The page's fenced code blocks, with their common indentation removed."""
    blocks: list[Block] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = re.match(r"^(\s*)```", lines[index])
        if not opening:
            index += 1
            continue
        body: list[str] = []
        index += 1
        while index < len(lines) and not re.match(r"^\s*```", lines[index]):
            body.append(lines[index])
            index += 1
        index += 1
        blocks.append(Block(page, len(blocks) + 1, "\n".join(body)))
    return blocks


def looks_like_definition(text: str) -> bool:
    """Whether a block holds pipeline objects, parameters or values (as
    opposed to IAM policies, logs, shell commands...)."""
    if re.search(r'"(objects|parameters|values)"\s*:', text):
        return True
    if re.search(r'"(id|name)"\s*:\s*"Default"', text):
        return True
    return bool(re.search(r'"type"\s*:', text) and re.search(r'"(id|name)"\s*:', text))


# --- reading the Guide's almost-JSON -----------------------------------------------


def fold_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object where a key given twice becomes a list, as the AWS
    CLI's definition format writes a repeated field."""
    folded: dict[str, Any] = {}
    for key, value in pairs:
        if key in folded:
            existing = folded[key]
            folded[key] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            folded[key] = value
    return folded


def has_repeated_keys(pairs: list[tuple[str, Any]]) -> bool:
    """Whether a JSON object gives some key more than once."""
    keys = [key for key, _ in pairs]
    return len(keys) != len(set(keys))


def drop_stray_closing_braces(text: str) -> str:
    """Removes `}` that close nothing (outside strings, at depth 0)."""
    return _balance(text)[0]


def close_open_braces(text: str) -> str:
    """Closes what an elision left open at the end of a block."""
    owed = _balance(text)[1]
    return text.rstrip() + "".join(reversed(owed)) if owed else text


def _balance(text: str) -> tuple[str, list[str]]:
    """The text without closers that close nothing, and the closers still
    owed at its end (strings are skipped)."""
    kept: list[str] = []
    owed: list[str] = []
    in_string = False
    escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
            kept.append(character)
            continue
        if character == '"':
            in_string = True
        elif character in "{[":
            owed.append("}" if character == "{" else "]")
        elif character in "}]":
            if not owed:
                continue
            owed.pop()
        kept.append(character)
    return "".join(kept), owed


def parse_lenient(text: str) -> tuple[Any, list[str]]:
    """Reads a block of almost-JSON; answers the value and the repairs made."""
    fixes: list[str] = []

    def repair(description: str, repaired: str) -> None:
        nonlocal text
        if repaired != text:
            fixes.append(description)
            text = repaired

    repair("curly quotes replaced by straight quotes", text.replace("\u201c", '"').replace("\u201d", '"'))
    repair(
        "elided lines ('...') removed",
        "\n".join(line for line in text.split("\n") if not line.strip().startswith("...")),
    )
    repair("backslash line continuation inside a string joined", re.sub(r"\\\n\s*", "", text))
    repair(
        "a backslash before a character JSON cannot escape kept as a literal backslash",
        re.sub(r"\\(.)", lambda escape: escape.group(0) if escape.group(1) in '"\\/bfnrtu' else "\\" + escape.group(0), text),
    )
    repair("closing braces that close nothing removed", drop_stray_closing_braces(text))
    repair("braces left open by an elision closed", close_open_braces(text))
    repair("trailing commas removed", re.sub(r",(\s*[\]}])", r"\1", text))
    text = text.strip()
    repair("trailing comma after the last object removed", text[:-1] if text.endswith(",") else text)

    repeated = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        repeated = repeated or has_repeated_keys(pairs)
        return fold_repeated_keys(pairs)

    def load(candidate: str) -> Any:
        # strict=False admits raw line breaks inside strings (a multi-line
        # script), which strict JSON refuses.
        return json.loads(candidate, strict=False, object_pairs_hook=hook)

    try:
        value = load(text)
    except json.JSONDecodeError as single_error:
        try:
            text = f"[{text}]"
            value = load(text)
        except json.JSONDecodeError:
            raise Unparseable(str(single_error)) from None
        fixes.append("objects given one after another wrapped in a list")
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        if "control character" in str(error):
            fixes.append("line breaks inside a string kept as they are")
    if repeated:
        fixes.append("a field given twice written as a list (the CLI's form of a repeated field)")
    return value, fixes


# --- the object reference's field tables -------------------------------------------


@dataclass
class TypeFields:
    """The required fields of one object type, from its dp-object page."""

    required: set[str]
    groups: list[set[str]]


def field_tables(guide: Path) -> dict[str, TypeFields]:
    """Required fields and required groups per type, from `dp-object-*.md`."""
    tables: dict[str, TypeFields] = {}
    for page in sorted(guide.glob("dp-object-*.md")):
        text = page.read_text(encoding="utf-8")
        title = re.match(r"#\s*(\w+)<a name=", text)
        if not title:
            continue
        fields = TypeFields(set(), [])
        current: str | None = None
        group: set[str] = set()
        for line in text.split("\n"):
            header = re.match(r"^\|\s*(Required Fields|Required Group|[A-Z][\w ]+Fields)\b", line)
            if header:
                if group:
                    fields.groups.append(group)
                    group = set()
                current = header.group(1)
                continue
            row = re.match(r"^\|\s*([\w*@]+)\s*\|", line.replace("\\", ""))
            if not row or row.group(1) == "---" or not line.strip():
                if not line.startswith("|") and group:
                    fields.groups.append(group)
                    group = set()
                continue
            if current == "Required Fields":
                fields.required.add(row.group(1))
            elif current == "Required Group":
                group.add(row.group(1))
        if group:
            fields.groups.append(group)
        if fields.required or fields.groups:
            tables[title.group(1)] = fields
    return tables


# --- turning lone example objects into a pipeline ----------------------------------


def refs_of(value: Any) -> list[str]:
    """The ids a field's value refers to."""
    values = value if isinstance(value, list) else [value]
    return [item["ref"] for item in values if isinstance(item, dict) and "ref" in item]


def stub_for(field_name: str, referrer: dict[str, Any], target: str) -> dict[str, Any]:
    """A minimal object of the type a field expects, with the given id."""
    referrer_type = referrer.get("type", "")
    lowered = target.lower()
    stub: dict[str, Any] = {"id": target, "name": target}
    if field_name == "schedule":
        stub.update(type="Schedule", period="1 day", startAt="FIRST_ACTIVATION_DATE_TIME")
    elif field_name == "runsOn":
        if referrer_type in EMR_WORK or "emr" in lowered:
            stub.update(type="EmrCluster")
        else:
            stub.update(type="Ec2Resource", terminateAfter="1 hour")
    elif field_name in ("input", "output"):
        if "dynamo" in lowered or "ddb" in lowered:
            stub.update(type="DynamoDBDataNode", tableName=f"{target}-table")
        elif "redshift" in lowered or (referrer_type == "RedshiftCopyActivity" and field_name == "output"):
            stub.update(type="RedshiftDataNode", tableName=f"{target}_table", database={"ref": f"{target}Database"})
        elif "sql" in lowered or "rds" in lowered:
            stub.update(type="SqlDataNode", table=f"{target}_table", selectQuery="select * from #{table}", database={"ref": f"{target}Database"})
        else:
            stub.update(type="S3DataNode", directoryPath=f"{STUB_BUCKET}/{target}/")
    elif field_name == "database":
        if referrer_type == "RedshiftDataNode":
            stub.update(type="RedshiftDatabase", clusterId="corpus-cluster", databaseName="corpus", username="corpus")
            stub["*password"] = "corpus-password"
        else:
            stub.update(
                type="JdbcDatabase",
                connectionString="jdbc:mysql://corpus.example.com:3306/corpus",
                jdbcDriverClass="com.mysql.jdbc.Driver",
                username="corpus",
            )
            stub["*password"] = "corpus-password"
    elif field_name == "dataFormat":
        stub.update(type="CSV")
    elif field_name == "precondition":
        stub.update(type="S3KeyExists", s3Key=f"{STUB_BUCKET}/{target}/ready")
    elif field_name in ("onFail", "onSuccess", "onLateAction"):
        stub.update(type="SnsAlarm", topicArn="arn:aws:sns:us-east-1:123456789012:corpus", subject="corpus", message="corpus")
    elif field_name in ("preActivityTaskConfig", "postActivityTaskConfig"):
        stub.update(type="ShellScriptConfig", scriptUri=f"{STUB_BUCKET}/{target}.sh")
    elif field_name == "httpProxy":
        stub.update(type="HttpProxy", hostname="proxy.example.com", port="3128")
    elif field_name == "configuration":
        stub.update(type="EmrConfiguration", classification="core-site")
    elif field_name == "property":
        stub.update(type="Property", key="corpus.key", value="corpus-value")
    elif field_name == "dependsOn":
        stub.update(type="ShellCommandActivity", command="true")
    elif field_name.startswith("my"):
        # A user's own reference names "another pipeline component"
        # (dp-writing-pipeline-definition.md): any typed component will do.
        stub.update(type="S3DataNode", directoryPath=f"{STUB_BUCKET}/{target}/")
    # A parent: an object with no type, which holds fields to inherit.
    return stub


def wrap_objects(objects: list[dict[str, Any]], tables: dict[str, TypeFields], entry: Entry) -> list[dict[str, Any]]:
    """A minimal pipeline around lone example objects: stubs for every
    dangling reference, and a Default object."""
    pipeline = [dict(item) for item in objects]
    known = {item.get("id") for item in pipeline}
    pending = list(pipeline)
    while pending:
        current = pending.pop(0)
        for field_name, value in list(current.items()):
            for target in refs_of(value):
                if target in known:
                    continue
                stub = stub_for(field_name, current, target)
                pipeline.append(stub)
                pending.append(stub)
                known.add(target)
                entry.stubs.append({"id": target, "type": stub.get("type", "(none)"), "for": f"{current.get('id')}.{field_name}"})

    default = next((item for item in pipeline if item.get("id") == "Default"), None)
    if default is None:
        default = {"id": "Default", "name": "Default"}
        schedules = [item["id"] for item in pipeline if item.get("type") == "Schedule"]
        if schedules:
            default["scheduleType"] = "cron"
            default["schedule"] = {"ref": schedules[0]}
        else:
            default["scheduleType"] = "ondemand"
        pipeline.insert(0, default)
        entry.added.append("Default")

    def missing(item: dict[str, Any], name: str) -> bool:
        return name not in item and name not in default

    for item in pipeline:
        fields = tables.get(item.get("type", ""))
        if not fields:
            continue
        for name, value in (("role", ROLE), ("resourceRole", RESOURCE_ROLE)):
            if name in fields.required and missing(item, name):
                default[name] = value
                entry.added.append(f"Default.{name}")
        for group in fields.groups:
            if group == {"runsOn", "workerGroup"} and all(missing(item, name) for name in group):
                default["workerGroup"] = WORKER_GROUP
                entry.added.append("Default.workerGroup")
    entry.added = sorted(set(entry.added), key=entry.added.index)
    stub_ids = {stub["id"] for stub in entry.stubs}
    for item in pipeline:
        if item.get("id") in stub_ids:
            check_stub(item, default, tables)
    return pipeline


def check_stub(stub: dict[str, Any], default: dict[str, Any], tables: dict[str, TypeFields]) -> None:
    """Stops the script when a stub lacks a field its type's page requires:
    a stub stands in for a real object, so it must be a valid one."""
    fields = tables.get(stub.get("type", ""))
    if not fields:
        return
    present = set(stub) | set(default)
    lacking = sorted(fields.required - present)
    lacking += [" or ".join(sorted(group)) for group in fields.groups if not group & present]
    if lacking:
        raise SystemExit(f"the {stub['type']} stub '{stub['id']}' lacks {', '.join(lacking)}: complete it in stub_for")


def fill_ids(objects: list[dict[str, Any]], fixes: list[str]) -> list[dict[str, Any]]:
    """Gives an id to objects the Guide shows with a name only: the name,
    which is what the other objects' references use."""
    filled = []
    for item in objects:
        if "id" not in item and isinstance(item.get("name"), str):
            item = {"id": item["name"], **item}
            fixes.append(f"object '{item['name']}' shown without an id: its name used as id")
        filled.append(item)
    return filled


# --- classifying, excerpt detection and runnability --------------------------------


def runnable_locally(definition: dict[str, Any]) -> tuple[bool, str]:
    """Whether `taskrunner local` can run the entry, and why (not)."""
    types = {item.get("type") for item in definition["objects"] if item.get("type")}
    foreign = sorted(types - LOCAL_TYPES)
    if foreign:
        return False, f"uses {', '.join(foreign)}"
    if "ShellCommandActivity" not in types:
        return False, "no ShellCommandActivity: nothing runs"
    return True, f"only {', '.join(sorted(types))}: shell work the local run does itself"


def entry_record(entry: Entry) -> dict[str, Any]:
    """The entry's row in index.json."""
    runnable, reason = runnable_locally(entry.definition)
    record: dict[str, Any] = {
        "name": entry.name,
        "page": entry.page,
        "blocks": entry.blocks,
        "kind": entry.kind,
        "file": f"definitions/{entry.name}.json",
    }
    if entry.parameter_objects is not None:
        record["parameterObjectsFile"] = f"definitions/{entry.name}.parameters.json"
    if entry.parameter_values is not None:
        record["parameterValuesFile"] = f"definitions/{entry.name}.values.json"
    if entry.name in HAND_WRITTEN_VALUES:
        record["parameterValues"] = HAND_WRITTEN_VALUES[entry.name]
    record["fixes"] = entry.fixes
    record["added"] = entry.added
    record["stubs"] = entry.stubs
    record["runnableLocally"] = runnable
    record["runnableReason"] = reason
    if entry.name in RUN_NOTES:
        record["runNote"] = RUN_NOTES[entry.name]
    return record


def build(guide: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """Every corpus file's text by relative path, and the index."""
    tables = field_tables(guide)
    entries: list[Entry] = []
    lone: list[tuple[Block, list[dict[str, Any]], list[str]]] = []
    skipped: list[dict[str, Any]] = []
    for page in sorted(guide.glob("*.md")):
        last_definition: Entry | None = None
        for block in fenced_blocks(page.name, page.read_text(encoding="utf-8")):
            reason = SKIPPED.get((block.page, block.number))
            if reason:
                skipped.append({"page": block.page, "block": block.number, "reason": reason})
                continue
            if not looks_like_definition(block.text):
                continue
            try:
                value, fixes = parse_lenient(block.text)
            except Unparseable as error:
                raise SystemExit(f"{block.page} block {block.number} cannot be read ({error}): repair it or list it in SKIPPED")
            stem = page.stem
            if isinstance(value, dict) and "objects" in value:
                definition = dict(value)
                definition["objects"] = fill_ids(definition["objects"], fixes)
                entry = Entry(f"{stem}-{block.number}", block.page, [block.number], "definition", definition, fixes)
                entries.append(entry)
                last_definition = entry
            elif isinstance(value, dict) and set(value) <= {"parameters", "values"} and last_definition:
                # A page's parameters.json / values.json for the definition above it.
                last_definition.blocks.append(block.number)
                last_definition.fixes += fixes
                if "parameters" in value:
                    last_definition.parameter_objects = {"parameters": value["parameters"]}
                if "values" in value:
                    last_definition.parameter_values = {"values": value["values"]}
            else:
                items = value if isinstance(value, list) else [value]
                if not all(isinstance(item, dict) and ("type" in item or "id" in item or "name" in item) for item in items):
                    skipped.append({"page": block.page, "block": block.number, "reason": "JSON that is not a pipeline definition"})
                    continue
                if not any("type" in item for item in items) and not any(item.get("name") == "Default" or item.get("id") == "Default" for item in items):
                    skipped.append({"page": block.page, "block": block.number, "reason": "JSON that is not a pipeline definition"})
                    continue
                lone.append((block, fill_ids(items, fixes), fixes))

    complete = {entry.name: entry.definition["objects"] for entry in entries}
    for block, items, fixes in lone:
        excerpt_of = next((name for name, objects in complete.items() if all(item in objects for item in items)), None)
        if excerpt_of:
            skipped.append({"page": block.page, "block": block.number, "reason": f"an excerpt of {excerpt_of}, which holds the same objects"})
            continue
        entry = Entry(f"{Path(block.page).stem}-{block.number}", block.page, [block.number], "objects", {}, fixes)
        entry.definition = {"objects": wrap_objects(items, tables, entry)}
        entries.append(entry)

    files: dict[str, str] = {}
    for entry in entries:
        files[f"definitions/{entry.name}.json"] = to_text(entry.definition)
        if entry.parameter_objects is not None:
            files[f"definitions/{entry.name}.parameters.json"] = to_text(entry.parameter_objects)
        if entry.parameter_values is not None:
            files[f"definitions/{entry.name}.values.json"] = to_text(entry.parameter_values)
    entries.sort(key=lambda entry: entry.name)
    skipped.sort(key=lambda row: (row["page"], row["block"]))
    index = {
        "about": "AWS Data Pipeline Developer Guide examples as definition files; see README.md",
        "entries": [entry_record(entry) for entry in entries],
        "skipped": skipped,
    }
    files["index.json"] = to_text(index)
    return files, index


def to_text(value: Any) -> str:
    """A corpus file's text: two-space indented JSON, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    arguments = parser.parse_args()
    files, index = build(find_guide())
    committed = {str(path.relative_to(HERE)): path.read_text(encoding="utf-8") for path in DEFINITIONS.glob("*.json")}
    if INDEX.is_file():
        committed["index.json"] = INDEX.read_text(encoding="utf-8")
    if arguments.check:
        differing = sorted(name for name in set(files) | set(committed) if files.get(name) != committed.get(name))
        for name in differing:
            print(f"differs from a fresh extraction: tests/corpus/{name}", file=sys.stderr)
        return 1 if differing else 0
    DEFINITIONS.mkdir(exist_ok=True)
    for name in set(committed) - set(files):
        (HERE / name).unlink()
    for name, text in files.items():
        (HERE / name).write_text(text, encoding="utf-8")
    print(f"{len(index['entries'])} entries, {len(index['skipped'])} blocks skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
