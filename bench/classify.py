"""Benchmark: content classification throughput and memory, against Python ``re`` and Presidio.

Run by hand (it is not a test)::

    .venv/bin/python bench/classify.py                     # 50 MB CSV + 50 MB log + Parquet
    .venv/bin/python bench/classify.py --csv-mb 20 --log-mb 20 --repeat 3 --cpu 0

What it does:

1. generates, with :mod:`andon.classify.corpus` (seed 7, in bounded memory), a dense
   connected-car CSV of ``--csv-mb`` MB (trip id, VIN, chassis number, IMEI, ICCID, timestamp,
   lat/lon, speed, heading, odometer, firmware version on every row), the same CSV at
   ``--small-mb`` MB (to show that peak RSS does not grow with the object), a sparse application
   log of ``--log-mb`` MB (2 % of events with PII, 3 % near misses), the same log ten times
   quieter (0.2 % and 0.3 %; for information, no target) and a Parquet file of the trips of
   the big CSV (zstd, typed columns);
2. measures each in a child process pinned to one core (``os.sched_setaffinity``; pyarrow
   ``set_cpu_count(1)`` and ``set_io_thread_count(1)``; readers use ``use_threads=False``;
   BLAS/OpenMP limited to one thread):

   * **Andon**: ``read_object`` over the file -> ``TextScanner`` / ``ColumnClassifier`` into an
     ``ObjectResult`` (what the engine does per object); after a warm-up on the first MB under
     another name, so that one-off costs (regex compilation, first decisions' imports) are not
     counted; best of ``--repeat`` runs; peak RSS of the child (``ru_maxrss``) and its RSS
     after the warm-up;
   * **Python re**: a *loop* over the detectors' exact patterns (``Detector.pattern``, all of a
     detector's alternatives in one compiled bytes regex), ``finditer`` over the whole slice,
     then the same validator and scoring (``Detector.score``, context keywords, threshold) on
     every candidate - the naive way, with the same rules; on the first ``--re-mb`` MB;
   * **Presidio**: ``presidio_analyzer.AnalyzerEngine`` with pattern recognizers only, one
     per Andon data type (18): the predefined ``CreditCardRecognizer`` (Luhn),
     ``EmailRecognizer``, ``IpRecognizer`` (v4 and v6) and ``PatternRecognizer`` s written
     here for VIN, chassis number, IMEI, ICCID, phone, My Number, licence, postal code,
     address, name key/value, coordinates, AWS key id and secret, PEM header and API tokens
     (the detectors' cores, without Andon's validators) - and a *blank* spaCy English
     pipeline (tokenizer only, saved to a temp dir: no model is downloaded) as its NLP engine;
     on the first ``--presidio-mb`` MB, in pieces of 64 KB (spaCy's length limit).
     ``tldextract`` is pointed at its bundled suffix list so that nothing is fetched.

3. prints MB/s (decimal MB of file bytes per second of the child's CPU time - user + system,
   so that other load on a shared machine does not count; wall-clock MB/s alongside), peak
   RSS, and the ratios against the targets: >= 150 MB/s on the dense CSV, >= 200 MB/s on the
   sparse log, >= 20x Python ``re``, >= 1,000x Presidio, peak RSS flat in object size. Exit
   status 1 when a target is missed. ``presidio-analyzer`` is not a project dependency:
   install it into the venv for this benchmark only (``pip install presidio-analyzer``) or
   pass ``--no-presidio``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS = {"csv": 150.0, "log": 200.0}
RE_RATIO, PRESIDIO_RATIO = 20.0, 1_000.0
RSS_GROWTH = 1.25  # peak RSS on the big CSV at most this many times that on the small one
SEED = 7
KEY = bytes(range(32))
MB = 1_000_000


# -- data -----------------------------------------------------------------------------------


def generate(out: Path, args: argparse.Namespace) -> dict[str, Path]:
    """The benchmark's input files in ``out`` (reused when already there)."""
    from andon.classify.corpus import CorpusGenerator, log_chunks, trip_csv_chunks

    files = {
        "csv": out / f"trips-{args.csv_mb}MB.csv",
        "csv_small": out / f"trips-{args.small_mb}MB.csv",
        "log": out / f"app-{args.log_mb}MB.log",
        "log_quiet": out / f"app-quiet-{args.log_mb}MB.log",
        "parquet": out / f"trips-{args.csv_mb}MB.parquet",
    }
    for key, mb in (("csv", args.csv_mb), ("csv_small", args.small_mb)):
        if not files[key].exists():
            _write(files[key], trip_csv_chunks(CorpusGenerator(SEED), mb * MB), mb * MB)
    size = args.log_mb * MB
    if not files["log"].exists():
        _write(files["log"], log_chunks(CorpusGenerator(SEED), size), size)
    if not files["log_quiet"].exists():
        quiet = log_chunks(CorpusGenerator(SEED), size, pii_share=0.002, decoy_share=0.003)
        _write(files["log_quiet"], quiet, size)
    if not files["parquet"].exists():
        _parquet_from_csv(files["csv"], files["parquet"])
    return files


def _write(path: Path, chunks: Any, limit: int) -> None:
    """Chunks to ``path``, cut at the last line break before ``limit`` bytes."""
    tmp = path.with_suffix(".tmp")
    done = 0
    with tmp.open("wb") as fh:
        for chunk in chunks:
            if done + len(chunk) > limit:
                chunk = chunk[: chunk.rfind(b"\n", 0, limit - done) + 1]
            fh.write(chunk)
            done += len(chunk)
            if done >= limit - 4096:
                break
    tmp.replace(path)


def _parquet_from_csv(csv_path: Path, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    convert = pacsv.ConvertOptions(
        column_types={"imei": pa.string(), "iccid": pa.string(), "ts": pa.timestamp("s", "UTC")}
    )
    reader = pacsv.open_csv(csv_path, convert_options=convert)
    with pq.ParquetWriter(path.with_suffix(".tmp"), reader.schema, compression="zstd") as w:
        for batch in reader:
            w.write_batch(batch, row_group_size=65_536)
    path.with_suffix(".tmp").replace(path)


# -- children -------------------------------------------------------------------------------


def _pin(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_andon(path: Path, repeat: int) -> dict[str, Any]:
    from andon.classify.engine import ClassifyContext, classify_object
    from andon.classify.sources import LocalSource

    ctx = ClassifyContext(key=KEY)
    # Warm-up on the first MB (Parquet: the whole file) under another name, so that one-off
    # costs - the pattern database, regex compilation, lazy imports - are not counted.
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmp:
        data = path.read_bytes() if path.suffix == ".parquet" else _slice(path, 1.0)
        warm = Path(tmp, "warmup" + path.suffix)
        warm.write_bytes(data)
        del data
        source = LocalSource(warm)
        classify_object(source, next(source.list()), ctx)
    rss_warm = _rss_mb()
    source = LocalSource(path)
    info = next(source.list())
    best, best_wall, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, wall = time.process_time(), time.perf_counter()
        result = classify_object(source, info, ctx)
        best = min(best, time.process_time() - start)
        best_wall = min(best_wall, time.perf_counter() - wall)
    assert result is not None
    counts = {t.value: tally.count for t, tally in result.tallies.items()}
    problems = [*result.limits_hit, *result.errors]
    if result.not_inspected:
        problems.append(result.not_inspected)
    return {"bytes": info.size, "seconds": best, "wall": best_wall, "rss_warm_mb": rss_warm,
            "rss_peak_mb": _rss_mb(), "records": result.records, "counts": counts,
            "problems": problems}  # fmt: skip


def _slice(path: Path, mb: float) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(int(mb * MB))
    return data[: data.rfind(b"\n") + 1]


def child_re(path: Path, mb: float) -> dict[str, Any]:
    from andon.classify.detectors import DetectorSet

    data = _slice(path, mb)
    detectors = DetectorSet()
    threshold = detectors.threshold
    hits = 0
    start, wall = time.process_time(), time.perf_counter()
    for det in detectors:
        group = "v" if "v" in det.pattern.groupindex else 0
        keyed = bool(det.context_keywords or det.negative_keywords)
        for m in det.pattern.finditer(data):
            lo, hi = m.span(group)
            if lo < 0:
                continue
            scored = det.score(data[lo:hi].decode("utf-8", "replace"))
            if scored is None:
                continue
            confidence = scored[1]
            if keyed:
                line_start = data.rfind(b"\n", 0, lo) + 1
                line_end = data.find(b"\n", hi)
                before = data[max(line_start, lo - 30) : lo]
                after = data[hi : min(hi + 30, line_end if line_end >= 0 else len(data))]
                confidence += det.context_delta(before, after)
            hits += confidence >= threshold
    seconds, wall = time.process_time() - start, time.perf_counter() - wall
    return {"bytes": len(data), "seconds": seconds, "wall": wall, "hits": hits}


def _presidio() -> Any:
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IpRecognizer,
    )

    from andon.classify.validators import PREFECTURES

    no_fetch = tldextract.TLDExtract(suffix_list_urls=())  # the bundled suffix list only
    tldextract.extract = no_fetch.__call__  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="andon-bench-spacy-") as model:
        spacy.blank("en").to_disk(model)  # loaded into memory here; the folder can go
        nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (CreditCardRecognizer(), EmailRecognizer(), IpRecognizer()):
        registry.add_recognizer(recognizer)
    own = {
        "VIN": r"\b[A-HJ-NPR-Z1-9][A-HJ-NPR-Z0-9]{12}[0-9]{4}\b",
        "JP_CHASSIS": r"\b[A-Z][A-Z0-9]{1,6}-[0-9]{6,8}\b",
        "IMEI": r"\b[0-9]{15,16}\b",
        "ICCID": r"\b89[0-9]{17,18}\b",
        "JP_PHONE": r"(?<![\w.+-])(?:0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}|\+81[ -]?[0-9 -]{9,13})\b",
        "JP_MY_NUMBER": r"\b[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}\b",
        "JP_POSTAL": r"〒[ ]?[0-9]{3}-?[0-9]{4}\b",
        "GEO": r"-?\b[0-9]{1,3}\.[0-9]{3,10}[ \t]*[, ][ \t]*-?[0-9]{1,3}\.[0-9]{3,10}\b",
        "AWS_KEY": r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        "AWS_SECRET": r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}",
        "PEM": r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
        "API_TOKEN": r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,72})\b",
        "JP_DRIVERS_LICENSE": r"\b[0-9]{12}\b",
        "ADDRESS": "(?:" + "|".join(PREFECTURES) + ")[^\\s]{0,8}?[市区町村郡]",
        "PERSON_NAME": r"(?i)(?:(?:first|last|full|customer)_?name|氏名|名前)\s*[:=]\s*\S+",
    }
    for entity, regex in own.items():
        pattern = Pattern(entity.lower(), regex, 0.5)
        registry.add_recognizer(PatternRecognizer(entity, patterns=[pattern]))
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def child_presidio(path: Path, mb: float) -> dict[str, Any]:
    analyzer = _presidio()
    data = _slice(path, mb).decode("utf-8")
    pieces, at = [], 0
    while at < len(data):
        end = data.rfind("\n", at, at + 65_536) + 1 if len(data) - at > 65_536 else len(data)
        end = end if end > at else min(len(data), at + 65_536)
        pieces.append(data[at:end])
        at = end
    analyzer.analyze(pieces[0][:2000], language="en")  # warm-up
    start, wall = time.process_time(), time.perf_counter()
    hits = sum(len(analyzer.analyze(piece, language="en")) for piece in pieces)
    seconds, wall = time.process_time() - start, time.perf_counter() - wall
    return {"bytes": len(data.encode()), "seconds": seconds, "wall": wall, "hits": hits}


def run_child(kind: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    cmd = [sys.executable, __file__, "--child", kind, "--file", str(path), "--cpu", str(args.cpu),
           "--repeat", str(args.repeat), "--re-mb", str(args.re_mb),
           "--presidio-mb", str(args.presidio_mb)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {kind} on {path.name} failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# -- main -----------------------------------------------------------------------------------


def _mbps(run: dict[str, Any]) -> float:
    return float(run["bytes"]) / MB / float(run["seconds"])


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench(args: argparse.Namespace) -> int:
    if args.data:
        return _bench(Path(args.data), args)
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmp:
        return _bench(Path(tmp), args)


def _bench(out: Path, args: argparse.Namespace) -> int:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    files = generate(out, args)
    print(f"data in {out} ({time.perf_counter() - start:.0f} s to generate); cpu {args.cpu}")
    ok = True
    andon = {key: run_child("andon", path, args) for key, path in files.items()}
    head = ("input", "MB", "records", "Mrec/s", "MB/s", "(wall)", "RSS warm", "RSS peak")
    print("\nAndon\n{:26} {:>6} {:>8} {:>6} {:>7} {:>7} {:>8} {:>8}".format(*head))
    for key, run in andon.items():
        name = files[key].name
        rate = run["records"] / run["seconds"] / MB
        wall = run["bytes"] / MB / run["wall"]
        print(f"{name:26} {run['bytes'] / MB:6.1f} {run['records']:8d} {rate:6.2f} "
              f"{_mbps(run):7.1f} {wall:7.1f} {run['rss_warm_mb']:7.0f}M "
              f"{run['rss_peak_mb']:7.0f}M")  # fmt: skip
        if run["problems"]:
            print(f"    limits/errors: {run['problems']}")
    for key, target in TARGETS.items():
        speed = _mbps(andon[key])
        ok &= speed >= target
        print(f"target {key}: {speed:.1f} MB/s >= {target:.0f}: {_verdict(speed >= target)}")
    growth = andon["csv"]["rss_peak_mb"] / andon["csv_small"]["rss_peak_mb"]
    ok &= growth <= RSS_GROWTH
    print(f"peak RSS {args.small_mb} MB -> {args.csv_mb} MB CSV: x{growth:.2f} "
          f"({'flat' if growth <= RSS_GROWTH else 'GROWS'})")  # fmt: skip
    print(f"\n{'input':34} {'slice MB':>9} {'re MB/s':>8} {'Andon/re':>9}")
    for key in ("csv", "log"):
        run = run_child("re", files[key], args)
        ratio = _mbps(andon[key]) / _mbps(run)
        ok &= ratio >= RE_RATIO
        print(f"{files[key].name:34} {run['bytes'] / MB:9.1f} {_mbps(run):8.2f} {ratio:8.0f}x "
              f"(target {RE_RATIO:.0f}x: {'met' if ratio >= RE_RATIO else 'MISSED'})")  # fmt: skip
    if not args.no_presidio:
        print(f"\n{'input':34} {'slice MB':>9} {'Presidio MB/s':>14} {'Andon/Presidio':>15}")
        for key in ("csv", "log"):
            run = run_child("presidio", files[key], args)
            ratio = _mbps(andon[key]) / _mbps(run)
            ok &= ratio >= PRESIDIO_RATIO
            verdict = _verdict(ratio >= PRESIDIO_RATIO)
            print(f"{files[key].name:34} {run['bytes'] / MB:9.2f} {_mbps(run):14.4f} {ratio:14.0f}x"
                  f" (target {PRESIDIO_RATIO:.0f}x: {verdict})")  # fmt: skip
    print("\nall targets met" if ok else "\nsome targets MISSED")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--csv-mb", type=int, default=50)
    parser.add_argument("--small-mb", type=int, default=10)
    parser.add_argument("--log-mb", type=int, default=50)
    parser.add_argument("--re-mb", type=float, default=5.0, help="slice for the re baseline")
    parser.add_argument("--presidio-mb", type=float, default=1.0, help="slice for Presidio")
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="Andon runs per file (best kept)")
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument(
        "--data", help="directory for the generated files, kept and reused (default: a temp dir)"
    )
    parser.add_argument("--child", choices=("andon", "re", "presidio"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _pin(args.cpu)
        path = Path(args.file)
        if args.child == "andon":
            result = child_andon(path, args.repeat)
        elif args.child == "re":
            result = child_re(path, args.re_mb)
        else:
            result = child_presidio(path, args.presidio_mb)
        print(json.dumps(result))
        return 0
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
