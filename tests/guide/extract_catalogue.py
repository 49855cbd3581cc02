#!/usr/bin/env python3
"""Generates the service's object-type catalogue from the AWS Data Pipeline
Developer Guide's object reference.

Reads every page of the object reference that documents one type (the
`dp-object-*.md` pages plus the two `dp-dynamodb*exists.md` precondition
pages; the index pages such as `dp-object-activities.md` only give each type
its kind) and writes crates/datapipeline-local/src/definition/catalogue_data.rs.

Usage:
    python3 tests/guide/extract_catalogue.py [--guide DIR] [--check]

DIR defaults to $DATAPIPELINE_GUIDE, else the first
shared/reference/aws-data-pipeline-developer-guide/doc_source found beside the
repository or one of its parent directories (<repo>/../shared/...).
With --check nothing is written: the exit status is 1 when the committed file
differs from a fresh run (and 2 when the Guide cannot be found).
Python 3 standard library only.
"""

import argparse
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "crates/datapipeline-local/src/definition/catalogue_data.rs"
COMMAND = "python3 tests/guide/extract_catalogue.py"

# Index pages: each lists the pages of one kind of object.
INDEX_PAGES = {
    "dp-object-activities.md": "Activity",
    "dp-object-actions.md": "Action",
    "dp-object-databases.md": "Database",
    "dp-object-dataformats.md": "DataFormat",
    "dp-object-datanodes.md": "DataNode",
    "dp-object-preconditions.md": "Precondition",
    "dp-object-resources.md": "Resource",
    "dp-object-utilities.md": "Other",
}
# Pages that document a type but are listed by no index page.
UNLISTED_KINDS = {"dp-object-schedule.md": "Schedule"}
# HttpProxy is listed under Resources, but nothing runs on a proxy: it only
# configures how a resource reaches the network, so the service treats it as
# a supporting object like the utilities.
KIND_OVERRIDES = {"HttpProxy": "Other"}

# Types a complete definition in the Guide uses that have no page of their
# own: dp-object-emrcluster.md documents EbsBlockDeviceConfig and
# VolumeSpecification only as rows of its Optional Fields table, and
# emrcluster-example-ebs.md defines all three as objects. Their fields are
# the ones that page's definition sets: (type, kind, page, fields).
EXTRA_TYPES = [
    ("EbsConfiguration", "Other", "emrcluster-example-ebs.md",
     [("ebsOptimized", "Boolean"), ("ebsBlockDeviceConfig", "Reference")]),
    ("EbsBlockDeviceConfig", "Other", "emrcluster-example-ebs.md",
     [("volumesPerInstance", "Integer"), ("volumeSpecification", "Reference")]),
    ("VolumeSpecification", "Other", "emrcluster-example-ebs.md",
     [("iops", "Integer"), ("sizeInGB", "Integer"), ("volumeType", "String")]),
]

# How a table's first header cell names its section.
SECTIONS = {
    "Required Fields": "Required",
    "Required Group (One of the following is required)": "RequiredGroup",
    # dp-object-hiveactivity.md titles its second group table without the
    # "(One of ...)" part; it is read as a one-of group like the others.
    "Required Group": "RequiredGroup",
    "Optional Fields": "Optional",
    "Object Invocation Fields": "Invocation",
    "Runtime Fields": "Runtime",
    "System Fields": "System",
}

# Slot types as the pages write them (prefix match), and our name for each.
SLOT_TYPES = [
    ("Reference Object", "Reference"),
    ("String", "String"),
    ("DateTime", "DateTime"),
    ("Period", "Period"),
    ("Integer", "Integer"),
    ("Double", "Double"),
    ("Enumeration", "Enumeration"),
    ("Boolean", "Boolean"),
]


def unescape(text):
    """Markdown cell text without backslash escapes and code marks."""
    return re.sub(r"\\(.)", r"\1", text).replace("`", "").strip()


def cells(line):
    """The cells of a table row `| a | b | c |`."""
    parts = line.strip().strip("|").split(" | ")
    return [part.strip() for part in parts]


def slot_type(text, page, field):
    text = unescape(text)
    for prefix, name in SLOT_TYPES:
        if text.startswith(prefix):
            return name
    raise SystemExit(f"{page}: field {field}: unknown slot type {text!r}")


def type_name(page, heading):
    """The type a page documents: its heading, without the ' Data Format'
    the data-format pages add (e.g. 'CSV Data Format' documents `CSV`)."""
    name = unescape(re.sub(r"<a name=.*", "", heading.lstrip("# ")))
    name = name.removesuffix(" Data Format")
    if not re.fullmatch(r"[A-Za-z0-9]+", name):
        raise SystemExit(f"{page}: cannot read a type name from heading {heading!r}")
    return name


def parse_page(path):
    """(type name, list of (section, [(field, slot type)])) of one page."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = type_name(path.name, lines[0])
    tables = []
    current = None
    for line in lines:
        if not line.startswith("|"):
            current = None
            continue
        row = cells(line)
        if current is None:
            header = unescape(row[0])
            if len(row) != 3 or row[1:] != ["Description", "Slot Type"]:
                continue
            if header not in SECTIONS:
                raise SystemExit(f"{path.name}: unknown table {header!r}")
            current = (SECTIONS[header], [])
            tables.append(current)
        elif row[0].startswith("---"):
            continue
        else:
            field = unescape(row[0])
            if not re.fullmatch(r"[@*]?[A-Za-z][A-Za-z0-9]*", field):
                raise SystemExit(f"{path.name}: odd field name {field!r}")
            current[1].append((field, slot_type(row[-1], path.name, field)))
    if not tables:
        raise SystemExit(f"{path.name}: no field tables")
    return name, tables


def type_pages(guide):
    """Every page documenting a type, with its kind, in a stable order."""
    kinds = dict(UNLISTED_KINDS)
    for index, kind in INDEX_PAGES.items():
        text = (guide / index).read_text(encoding="utf-8")
        for page in re.findall(r"\(([A-Za-z0-9-]+\.md)\)", text):
            kinds.setdefault(page, kind)
    documented = {
        page.name
        for page in guide.glob("dp-object-*.md")
        if page.name not in INDEX_PAGES
    }
    missing = documented - kinds.keys()
    if missing:
        raise SystemExit(f"pages listed by no index page: {sorted(missing)}")
    return sorted(kinds.items(), key=lambda item: item[0].lower())


def rust_list(items):
    return "&[" + ", ".join(items) + "]"


def render(guide):
    out = []
    out.append("// @generated by `" + COMMAND + "` from the object reference of")
    out.append("// the AWS Data Pipeline Developer Guide (doc_source/dp-object-*.md and")
    out.append("// dp-dynamodb*exists.md, plus the types emrcluster-example-ebs.md defines).")
    out.append("// Do not edit by hand: change the script or the")
    out.append("// Guide and run the command again; a test fails while this file is stale.")
    out.append("")
    out.append("use super::catalogue::{FieldDoc, Section, SlotType, TypeDoc};")
    out.append("use super::kinds::ObjectKind;")
    out.append("")
    out.append("/// Every object type the Guide documents, sorted by page name, then the")
    out.append("/// types only its example definitions show.")
    out.append("#[rustfmt::skip]")
    out.append("pub(crate) static TYPES: &[TypeDoc] = &[")
    entries = []
    for page, kind in type_pages(guide):
        name, tables = parse_page(guide / page)
        entries.append((name, KIND_OVERRIDES.get(name, kind), page, tables))
    for name, kind, page, fields in EXTRA_TYPES:
        if not (guide / page).is_file() or name not in (guide / page).read_text(encoding="utf-8"):
            raise SystemExit(f"{page} no longer shows type {name}")
        entries.append((name, kind, page, [("Optional", fields)]))
    seen = set()
    for name, kind, page, tables in entries:
        if name in seen:
            raise SystemExit(f"{page}: type {name} documented twice")
        seen.add(name)
        groups = []
        fields = []
        known = set()
        for section, rows in tables:
            if section == "RequiredGroup":
                group = [row[0] for row in rows]
                # A few pages repeat a group table; one copy is enough.
                if group not in groups:
                    groups.append(group)
            for field, slot in rows:
                if field in known:
                    continue
                known.add(field)
                fields.append(
                    f"FieldDoc {{ name: \"{field}\", section: Section::{section}, "
                    f"slot: SlotType::{slot} }}"
                )
        out.append("    TypeDoc {")
        out.append(f"        name: \"{name}\",")
        out.append(f"        kind: ObjectKind::{kind},")
        out.append(f"        page: \"{page}\",")
        group_items = [rust_list(f'"{field}"' for field in group) for group in groups]
        out.append(f"        groups: {rust_list(group_items)},")
        out.append("        fields: &[")
        for field in fields:
            out.append(f"            {field},")
        out.append("        ],")
        out.append("    },")
    out.append("];")
    return "\n".join(out) + "\n"


def find_guide(given):
    candidates = []
    if given:
        candidates.append(Path(given))
    elif os.environ.get("DATAPIPELINE_GUIDE"):
        candidates.append(Path(os.environ["DATAPIPELINE_GUIDE"]))
    else:
        # <repo>/../shared/..., or further up for a worktree such as wt/a.
        candidates.extend(
            ancestor / "shared/reference/aws-data-pipeline-developer-guide/doc_source"
            for ancestor in REPO.parents
        )
    for candidate in candidates:
        if (candidate / "dp-object-activities.md").is_file():
            return candidate
    looked = ", ".join(str(candidate) for candidate in candidates)
    print(
        f"the Developer Guide's doc_source was not found (looked in {looked}); "
        "set DATAPIPELINE_GUIDE to its doc_source directory",
        file=sys.stderr,
    )
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guide", help="the Guide's doc_source directory")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = render(find_guide(args.guide))
    if args.check:
        committed = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if committed != text:
            print(
                f"{OUTPUT.relative_to(REPO)} is stale: run `{COMMAND}`",
                file=sys.stderr,
            )
            sys.exit(1)
        return
    OUTPUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
