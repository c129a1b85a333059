"""``andon classify``: what kinds of data a file tree or a bucket holds, without keeping any.

Exit codes: 0 everything listed was inspected in full and nothing was found; 1 data of a
recognized type was found; 2 nothing was found but the inspection was partial (a sample,
limits hit, objects not inspected, read errors) - which never shows that the rest holds
nothing; 3 usage or configuration error. The JSON contract is in ``docs/classify.md``.

The classification packages (pyarrow, hyperscan ...) are imported when the command runs, so
the other commands work without the ``classify`` extra.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from andon.cli.common import FORMAT_OPTION, OUTPUT_OPTION, Format, emit, fail
from andon.core.errors import AndonError, CollectError
from andon.report.safe import csv_cell, json_dumps, plain

if TYPE_CHECKING:
    from andon.classify.engine import ClassifyContext, SourceSpec
    from andon.classify.results import ClassifyReport, ObjectResult
    from andon.core.context import ClassifySettings

SCHEMA = "andon.classify/v1"
EXIT_NOTHING_COMPLETE = 0
EXIT_FOUND = 1
EXIT_PARTIAL = 2

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str) -> int:
    """Bytes from ``256MB``, ``1.5GiB``, ``64k`` or ``1000`` (SI and binary units)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (examples: 256MB, 1GiB, 500k)")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    base = unit[:1]
    scale = 1024 ** "bkmgt".index(base) if "i" in unit and base in "kmgt" else _UNITS[base]
    return int(number * scale)


def _size(value: str, option: str) -> int:
    try:
        size = parse_size(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")
    if size < 1:
        fail(f"{option} must be at least one byte")
    return size


def classify(
    target: Annotated[
        str, typer.Argument(help="A file or directory, or s3://bucket/prefix.", show_default=False)
    ],
    fmt: FORMAT_OPTION = Format.table,
    output: OUTPUT_OPTION = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read every listed object (no sampling budgets).")
    ] = False,
    byte_budget: Annotated[
        str,
        typer.Option(
            "--byte-budget",
            metavar="SIZE",
            help="Stored bytes to read in total (sampled), e.g. 256MB, 1GiB.",
        ),
    ] = "256MiB",
    object_budget: Annotated[
        int, typer.Option("--object-budget", min=1, help="Objects to read at most (sampled).")
    ] = 1000,
    max_object_bytes: Annotated[
        str,
        typer.Option(
            "--max-object-bytes",
            metavar="SIZE",
            help="Decompressed bytes read per object before it is cut short.",
        ),
    ] = "64MiB",
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=0, help="Local worker processes (0: one per CPU; 1: no pool)."
        ),
    ] = 0,
    dask: Annotated[
        str | None,
        typer.Option("--dask", metavar="ADDR", help="Run on this Dask scheduler (tcp://h:8786)."),
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Endpoint for emulators and S3-compatible stores.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="AWS profile (standard credential chain).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="The bucket's region.")] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Key for the keyed hashes of subjects (default: created in the user config "
            "directory). Share it where results are merged across machines.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample (same seed, same sample).")] = 0,
) -> None:
    """Find what kinds of data a path or bucket holds: counts, subjects, where - never values."""
    from andon.classify.distributed import executor_for
    from andon.classify.engine import LOCAL_INLINE_BYTES, ClassifyContext, Sampling
    from andon.classify.model import ClassifyLimits

    budget = _size(byte_budget, "--byte-budget")
    per_object = _size(max_object_bytes, "--max-object-bytes")
    spec = _spec(target, endpoint_url=endpoint_url, profile=profile, region=region)
    try:
        ctx = ClassifyContext.build(
            key_file=key_file,
            limits=ClassifyLimits(max_bytes_per_object=per_object),
            sampling=Sampling(
                byte_budget=budget, object_budget=object_budget, full=full, seed=seed
            ),
        )
    except AndonError as exc:
        fail(str(exc))
    objects: list[ObjectResult] = []
    err = Console(stderr=True)
    try:
        status = err.status("Classifying…") if err.is_terminal else contextlib.nullcontext()
        with executor_for(workers, dask) as run, status:
            report = _run(spec, ctx, run, objects, LOCAL_INLINE_BYTES)
    except CollectError as exc:
        fail(f"cannot read {spec.label}: {exc}", EXIT_PARTIAL)
    except AndonError as exc:
        fail(str(exc))
    code = exit_code(report)
    document = to_document(spec.label, ctx, report, objects, code)
    if fmt is Format.json:
        emit(json_dumps(document) + "\n", output)
    elif fmt is Format.csv:
        emit(to_csv(document), output)
    elif output is not None:
        emit(json_dumps(document) + "\n", output)
    else:
        print_tables(Console(), document)
    if fmt is not Format.table or output is not None:
        err.print(plain(document["summary"]["coverage"]), highlight=False)
    raise typer.Exit(code)


def _run(
    spec: SourceSpec, ctx: ClassifyContext, run: Any, objects: list[ObjectResult], inline: int
) -> ClassifyReport:
    from andon.classify.engine import classify_source

    return classify_source(
        spec,
        ctx,
        executor=run.executor,
        workers=run.workers,
        inline_below=0 if run.distributed else inline,
        on_object=objects.append,
    )


def classify_settings(
    bucket_bytes: str, bucket_objects: int, total_bytes: str, key_file: Path | None
) -> ClassifySettings:
    """The settings of ``andon scan --classify``; the key file is checked (or created) now, so
    a bad one is a usage error before the scan starts."""
    from andon.classify.keys import default_key_path, load_or_create_key
    from andon.core.context import ClassifySettings

    try:
        load_or_create_key(key_file if key_file is not None else default_key_path())
    except AndonError as exc:
        fail(str(exc))
    return ClassifySettings(
        bucket_bytes=_size(bucket_bytes, "--classify-bytes"),
        bucket_objects=bucket_objects,
        total_bytes=_size(total_bytes, "--classify-total"),
        key_file=str(key_file) if key_file is not None else None,
    )


def _spec(
    target: str, *, endpoint_url: str | None, profile: str | None, region: str | None
) -> SourceSpec:
    from andon.classify.engine import LocalSpec, S3Spec
    from andon.core.context import AwsTarget

    if target.startswith("s3://"):
        bucket, _, prefix = target[5:].partition("/")
        if not bucket:
            fail("an S3 target needs a bucket: s3://bucket/prefix")
        aws = AwsTarget(profile=profile, endpoint_url=endpoint_url)
        return S3Spec(aws, bucket, prefix, region)
    path = Path(target)
    if not path.exists():
        fail(f"no such file or directory: {target}")
    return LocalSpec(str(path.resolve()))


# -- results -----------------------------------------------------------------------------------


def exit_code(report: ClassifyReport) -> int:
    if report.found:
        return EXIT_FOUND
    return EXIT_NOTHING_COMPLETE if report.complete else EXIT_PARTIAL


def to_document(
    label: str,
    ctx: ClassifyContext,
    report: ClassifyReport,
    objects: list[ObjectResult],
    code: int,
) -> dict[str, Any]:
    """The JSON document of one run (schema ``andon.classify/v1``, see docs/classify.md)."""
    from andon.classify.engine import LISTING_CUT

    summary = report.to_dict()
    listing_complete = LISTING_CUT not in report.limits_hit
    summary["listing_complete"] = listing_complete
    sampling = ctx.sampling
    return {
        "schema": SCHEMA,
        "target": label,
        "settings": {
            "full": sampling.full,
            "byte_budget": None if sampling.full else sampling.byte_budget,
            "object_budget": None if sampling.full else sampling.object_budget,
            "max_bytes_per_object": ctx.limits.max_bytes_per_object,
            "seed": sampling.seed,
        },
        "summary": summary,
        "objects": [o.to_dict() for o in objects],
        "exit_code": code,
    }


CSV_COLUMNS = (
    "object",
    "format",
    "inspected",
    "complete",
    "bytes_inspected",
    "data_type",
    "count",
    "distinct",
    "confidence",
    "samples",
    "limits_hit",
    "not_inspected",
)


def to_csv(document: dict[str, Any]) -> str:
    """One row per object and data type (an object with nothing found gets one row with an
    empty data type); the totals come last, with object ``*``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    summary = document["summary"]
    total = {
        "object": "*",
        "format": "",
        "inspected": summary["objects_inspected"],
        "complete": summary["complete"],
        "bytes_inspected": summary["bytes_inspected"],
        "data_types": summary["data_types"],
        "limits_hit": [f"{k} ({n})" for k, n in summary["limits_hit"].items()],
        "not_inspected": "; ".join(
            f"{k} ({n})" for k, n in summary["objects_not_inspected"].items()
        ),
    }
    for obj in [*document["objects"], total]:
        head = [obj["object"], obj["format"], obj["inspected"], obj["complete"]]
        head.append(obj["bytes_inspected"])
        tail = [" | ".join(obj["limits_hit"]), obj.get("not_inspected", "")]
        types = obj["data_types"] or {"": {}}
        for dtype, entry in types.items():
            row = [
                dtype,
                entry.get("count", 0),
                entry.get("distinct", ""),
                entry.get("confidence", ""),
                " | ".join(entry.get("samples", ())),
            ]
            writer.writerow([csv_cell(c) for c in (*head, *row, *tail)])
    return buf.getvalue()


def _t(text: object, style: str = "") -> Text:
    return Text(plain(text), style=style)


def _types_cell(types: dict[str, Any]) -> str:
    return ", ".join(f"{t} {e['count']}" for t, e in types.items()) or "-"


def print_tables(console: Console, document: dict[str, Any]) -> None:
    """Objects, then totals per data type, then subjects and the coverage statement."""
    objects = document["objects"]
    if objects:
        table = Table(title=f"Objects inspected ({len(objects)})")
        for column in ("Object", "Format", "Read", "Found", "Subjects", "Notes"):
            table.add_column(column, overflow="fold")
        for obj in objects:
            notes = [obj["not_inspected"]] if obj.get("not_inspected") else []
            notes += obj["limits_hit"] + obj["errors"]
            subjects = ", ".join(f"{k} {n}" for k, n in obj["subjects"].items()) or "-"
            table.add_row(
                _t(obj["object"]),
                _t(obj["format"] or "-"),
                _t(_bytes(obj["bytes_inspected"])),
                _t(_types_cell(obj["data_types"])),
                _t(subjects),
                _t("; ".join(notes) or "-", "yellow" if notes else ""),
            )
        console.print(table)
    summary = document["summary"]
    types = summary["data_types"]
    if types:
        table = Table(title=f"Data found in {plain(document['target'])}")
        for column in ("Data type", "Found", "Est. total", "Distinct", "Objects", "Samples"):
            table.add_column(column, overflow="fold")
        for dtype, entry in types.items():
            table.add_row(
                _t(dtype, "bold"),
                _t(entry["count"]),
                _t(entry.get("estimated_total", "-")),
                _t(entry.get("distinct", "-")),
                _t(entry["objects"]),
                _t(", ".join(entry["samples"]) or "-"),
            )
        console.print(table)
    else:
        console.print(_t(f"No data of a recognized type found in {document['target']}."))
    subjects = ", ".join(f"{k} {n}" for k, n in summary["subjects"].items())
    if subjects:
        console.print(_t(f"Distinct subjects seen (a lower bound): {subjects}"))
    console.print(
        _t(
            f"Inspected fraction: {summary['inspected_fraction'] * 100:.1f} % of "
            f"{_bytes(summary['bytes_listed'])} listed; {_bytes(summary['bytes_inspected'])} read"
        )
    )
    if summary["limits_hit"]:
        limits = ", ".join(f"{k} ({n})" for k, n in summary["limits_hit"].items())
        console.print(_t(f"Limits hit: {limits}", "yellow"))
    if not summary["listing_complete"]:
        console.print(_t("The listing was cut short: unlisted objects are not counted.", "yellow"))
    console.print(_t(summary["coverage"], "bold"))


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
