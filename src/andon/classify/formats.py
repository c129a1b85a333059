"""What the readers share: the read report, error descriptions, format detection and CSV parsing.

Format detection looks at magic bytes first and at the name's extension second; text formats
(CSV, TSV, JSON, NDJSON, plain text) are told apart by extension and by sniffing the first
``HEAD_BYTES`` of content, which also decides the encoding (UTF-8, UTF-16 by BOM, Shift_JIS,
EUC-JP).

Nothing here keeps or reports content: notes on the report hold object names, sizes and the
*type* of an error; messages are copied only from exceptions known not to quote data.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import lzma
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

from andon.classify import validators as v
from andon.core.errors import AndonError

HEAD_BYTES = 64 * 1024  # content sniffed to detect a format and an encoding
MAX_NOTES = 20  # entries kept per list on a report; the rest are only counted


class ByteStream(Protocol):
    """Anything with ``read(n) -> bytes`` (files, botocore bodies, the wrappers here)."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class ReadReport:
    """What reading one object did: format, bytes, records, and every limit, skip and error.

    ``format`` is the chain of layers of the object itself (``gzip+csv``, ``zip``,
    ``gzip+tar``); ``bytes_read`` counts the decompressed bytes consumed by parsers;
    ``not_inspected`` says why nothing of the object could be inspected (binary, encrypted,
    unreadable); ``skipped`` lists archive members not inspected with the reason.
    """

    format: str = ""
    size: int | None = None
    bytes_read: int = 0
    records: int = 0
    lines: int = 0
    members: int = 0
    units: int = 0
    limits_hit: list[str] = field(default_factory=list)
    not_inspected: str = ""
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dropped_notes: int = 0

    @property
    def inspected(self) -> bool:
        return not self.not_inspected

    def limit(self, message: str) -> None:
        self._note(self.limits_hit, message)

    def error(self, message: str) -> None:
        self._note(self.errors, message)

    def skip(self, message: str) -> None:
        self._note(self.skipped, message)

    def _note(self, notes: list[str], message: str) -> None:
        if message in notes:
            return
        if len(notes) < MAX_NOTES:
            notes.append(message)
        else:
            self.dropped_notes += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "size": self.size,
            "bytes_read": self.bytes_read,
            "records": self.records,
            "lines": self.lines,
            "members": self.members,
            "limits_hit": list(self.limits_hit),
            "not_inspected": self.not_inspected,
            "skipped": list(self.skipped),
            "errors": list(self.errors),
            "dropped_notes": self.dropped_notes,
        }


# -- errors ---------------------------------------------------------------------------------

_SAFE_MESSAGES: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zipfile.BadZipFile,
    tarfile.TarError,
    json.JSONDecodeError,
    csv.Error,
    AndonError,
)


def describe(exc: BaseException) -> str:
    """The type of an error, plus its message when that kind never quotes content.

    pyarrow's parse errors quote the offending row and ``UnicodeDecodeError`` quotes bytes, so
    for anything not known to be safe only the type name is kept.
    """
    name = type(exc).__name__
    if type(exc).__module__.startswith("zstandard") or isinstance(exc, _SAFE_MESSAGES):
        text = " ".join(str(exc).split())[:200]
        if text and not isinstance(exc, UnicodeError):
            return f"{name}: {text}"
    return name


# -- format detection -----------------------------------------------------------------------

_BZIP2_BLOCK = (b"1AY&SY", b"\x17rE8P\x90")  # first block, or end of an empty stream
COMPRESSIONS = frozenset({"gzip", "bzip2", "zstd", "xz"})
TEXT_FORMATS = frozenset({"text", "csv", "tsv", "json", "ndjson"})

_BINARY_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG image"),
    (0, b"\xff\xd8\xff", "JPEG image"),
    (0, b"GIF87a", "GIF image"),
    (0, b"GIF89a", "GIF image"),
    (0, b"II*\x00", "TIFF image"),
    (0, b"MM\x00*", "TIFF image"),
    (0, b"%PDF-", "PDF document"),
    (0, b"\x7fELF", "ELF executable"),
    (0, b"MZ", "Windows executable"),
    (0, b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (0, b"\xce\xfa\xed\xfe", "Mach-O executable"),
    (0, b"\xca\xfe\xba\xbe", "Java class or Mach-O universal binary"),
    (0, b"\x00asm", "WebAssembly module"),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive (not supported)"),
    (0, b"Rar!\x1a\x07", "RAR archive (not supported)"),
    (0, b"\x04\x22\x4d\x18", "LZ4 frame (not supported)"),
    (0, b"SQLite format 3\x00", "SQLite database"),
    (0, b"Obj\x01", "Avro container (not supported)"),
    (0, b"ORC", "ORC file (not supported)"),
    (0, b"ARROW1", "Arrow IPC file (not supported)"),
    (0, b"OggS", "Ogg media"),
    (0, b"fLaC", "FLAC audio"),
    (0, b"ID3", "MP3 audio"),
    (4, b"ftyp", "MP4/QuickTime media"),
    (8, b"WEBP", "WebP image"),
    (8, b"AVI ", "AVI video"),
    (8, b"WAVE", "WAV audio"),
)

_EXT_FORMAT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".geojson": "json",
    ".har": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".ldjson": "ndjson",
    ".jsonlines": "ndjson",
}
# Extensions of text that is never sniffed as CSV (NDJSON logs are still recognized).
_TEXT_EXT = frozenset(
    re.findall(
        r"\w+",
        "txt log out err md rst xml html htm yaml yml ini conf cfg env properties sql sh py js "
        "ts java go rb php pem key crt cer toml tf tfvars hcl srt vtt eml msg ics vcf",
    )
)
# Bytes of plain text: printable ASCII, all high bytes, and TAB LF FF CR ESC BEL BS.
_TEXT_BYTES = bytes(sorted({7, 8, 9, 10, 12, 13, 27, *range(0x20, 0x7F), *range(0x80, 0x100)}))
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Detected:
    """A detected format: ``format`` is one of gzip, bzip2, zstd, xz, zip, tar, parquet, csv,
    tsv, json, ndjson, text, binary, empty. ``reason`` says what a binary is."""

    format: str
    reason: str = ""
    encoding: str = "utf-8"
    bom: int = 0
    delimiter: str = ","


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def detect(head: bytes, hint: str) -> Detected:
    """The format of content starting with ``head``, with ``hint`` (a file name) as a tie-break."""
    if not head:
        return Detected("empty")
    magic = _magic(head)
    if magic is not None:
        return magic
    encoding, bom = detect_encoding(head)
    reason = _binary_reason(head, encoding)
    if reason:
        return Detected("binary", reason)
    ext = extension(hint)
    plain = ext[1:] in _TEXT_EXT
    if ext in (".parquet", ".pq"):
        return Detected("binary", "not a Parquet file (no PAR1 magic)")
    text = _decode_head(head[bom:], encoding)
    known = _EXT_FORMAT.get(ext)
    if known in ("csv", "tsv"):
        delimiter = "\t" if known == "tsv" else sniff_delimiter(text, minimum=1) or ","
        return Detected(known, encoding=encoding, bom=bom, delimiter=delimiter)
    shape = _json_shape(text)
    if known == "ndjson" or shape == "ndjson":
        return Detected("ndjson", encoding=encoding, bom=bom)
    if known == "json" or (shape == "json" and not plain):
        return Detected("json", encoding=encoding, bom=bom)
    sniffed = None if plain else sniff_delimiter(text, minimum=2)
    if sniffed:
        fmt = "tsv" if sniffed == "\t" else "csv"
        return Detected(fmt, encoding=encoding, bom=bom, delimiter=sniffed)
    return Detected("text", encoding=encoding, bom=bom)


def _magic(head: bytes) -> Detected | None:
    if head.startswith(b"\x1f\x8b"):
        return Detected("gzip")
    if head.startswith(b"BZh") and head[3:4].isdigit() and head[4:10] in _BZIP2_BLOCK:
        return Detected("bzip2")
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return Detected("zstd")
    if head.startswith(b"\xfd7zXZ\x00"):
        return Detected("xz")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or head.startswith(b"PK\x07\x08PK\x03\x04"):
        return Detected("zip")
    if head.startswith(b"PAR1"):
        return Detected("parquet")
    if len(head) >= 262 and head[257:262] == b"ustar":
        return Detected("tar")
    for offset, magic, reason in _BINARY_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return Detected("binary", reason)
    return None


def detect_encoding(head: bytes) -> tuple[str, int]:
    """``(encoding, BOM length)``: UTF-8 by BOM or when valid, UTF-16 by BOM; otherwise the
    Japanese encoding (cp932 or EUC-JP) that decodes the head with the fewest errors and shows
    Japanese text, else UTF-8 (undecodable bytes are replaced later)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    best, fewest = "utf-8", _decode_errors(head, "utf-8")
    if not fewest:
        return best, 0
    for encoding in ("cp932", "euc_jp"):
        text = _decode_head(head, encoding)
        errors = text.count("\ufffd") + len(_PRIVATE_USE.findall(text))
        if errors < fewest and _JAPANESE.search(text):
            best, fewest = encoding, errors
    return best, 0


def _decode_errors(head: bytes, encoding: str) -> int:
    return _decode_head(head, encoding).count("\ufffd")


def _binary_reason(head: bytes, encoding: str) -> str:
    if encoding.startswith("utf-16"):
        return ""
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    control = len(head.translate(None, _TEXT_BYTES))
    if control * 20 > len(head):
        return "binary data (control bytes)"
    return ""


def _decode_head(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def _json_shape(text: str) -> str:
    """``ndjson`` (one JSON value per line), ``json`` (one document), or ``""``."""
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "{[":
        return ""
    first, _, rest = stripped.partition("\n")
    try:
        value = json.loads(first)
    except ValueError:
        value = None
    if isinstance(value, dict | list):
        after = rest.lstrip()
        return "ndjson" if after[:1] in ("{", "[") else "json"
    if stripped[0] == "{":
        return "json" if re.match(r"\{\s*(\"|\}|$)", stripped) else ""
    body = stripped[1:]
    start = 1 + len(body) - len(body.lstrip())
    try:  # '[' starts JSON only if its first element decodes: "[2024-01-01] INFO" does not
        _, end = json.JSONDecoder().raw_decode(stripped, start)
    except ValueError:
        return "json" if re.match(r"\[\s*(\{|\[|\]|$)", stripped) else ""
    return "json" if stripped[end:].lstrip()[:1] in (",", "]", "") else ""


def sniff_delimiter(text: str, *, minimum: int) -> str | None:
    """The delimiter (``,`` TAB ``;`` ``|``) found the same number of times, at least
    ``minimum``, on at least 80% of the first lines; ``None`` when none is."""
    lines = [line for line in text.split("\n")[:50] if line.strip()]
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1]  # the head may end in the middle of a line
    if not lines:
        return None
    best: tuple[float, str] | None = None
    for delimiter in (",", "\t", ";", "|"):
        counts = [line.count(delimiter) for line in lines]
        mode = max(set(counts), key=counts.count)
        if mode < minimum:
            continue
        share = counts.count(mode) / len(counts)
        if share >= 0.8 and (best is None or share > best[0]):
            best = (share, delimiter)
    return best[1] if best else None


def value_shape(cell: str) -> bool:
    """Whether a name (CSV header cell, JSON key) has the shape of a value a detector looks
    for: an ``@`` (e-mail), an IP address, a VIN, an AWS access key id or API token, or a
    Japanese address (prefecture and municipality). Conservative and cheap; numbers are
    judged by their digits (:func:`value_like_key`, :func:`looks_like_header`)."""
    s = cell.strip()
    if "@" in s:
        return True
    if ("." in s or ":" in s) and v.parse_ip(s) is not None:
        return True
    if len(s) == 17 and v.is_vin_structure(s):
        return True
    return v.is_aws_access_key_id(s) or v.is_api_token(s) or v.is_jp_address(s)


def value_like_key(key: str) -> bool:
    """Whether a JSON key is a value rather than a field name: five digits or more (phone,
    chassis, IMEI, dates, ids), or :func:`value_shape`. Readers fold such keys to
    ``{key}`` so that no value reaches a column name or a location."""
    return sum(ch.isdigit() for ch in key) >= 5 or value_shape(key)


def looks_like_header(cells: list[str]) -> bool:
    """Whether a first CSV row names columns: non-empty names are distinct, short, not numbers,
    not mostly digits, and none has the shape of a value (:func:`value_shape`)."""
    names = [c.strip() for c in cells if c.strip()]
    if not names or len(set(names)) != len(names):
        return False
    for name in names:
        digits = sum(ch.isdigit() for ch in name)
        if len(name) > 64 or _NUMBER.fullmatch(name) or digits * 2 >= len(name):
            return False
        if value_shape(name):
            return False
    return True


def unique_names(cells: list[str]) -> list[str]:
    """Column names: blanks become ``column_<n>``, repeats get ``#2``, ``#3`` …"""
    names: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells, start=1):
        base = cell.strip() or f"column_{i}"
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base}#{n}"
        seen.add(name)
        names.append(name)
    return names


# -- CSV ---------------------------------------------------------------------------


def record_end(buf: bytes, quote: bytes | None) -> int:
    """Index of the line break ending the first record (``len(buf)`` when there is none)."""
    end = buf.find(b"\n")
    while end >= 0 and quote is not None and buf.count(quote, 0, end) % 2:
        end = buf.find(b"\n", end + 1)
    return len(buf) if end < 0 else end


def split_row(raw: bytes, delimiter: str, quoted: bool) -> list[str]:
    text = raw.decode("utf-8", "replace").rstrip("\r\n")
    source = io.StringIO(text, newline="")
    try:
        if quoted:
            row = next(csv.reader(source, delimiter=delimiter))
        else:
            row = next(csv.reader(source, delimiter=delimiter, quoting=csv.QUOTE_NONE))
    except (csv.Error, StopIteration):
        return []
    return row


class CsvParser:
    """Parses line-aligned CSV blocks into string columns with fixed names."""

    def __init__(self, names: list[str], delimiter: str, quoted: bool) -> None:
        self.names = names
        self.delimiter = delimiter
        self.quoted = quoted
        self.lenient = 0
        self._convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )

    def parse(self, block: bytes) -> tuple[dict[str, Any], int]:
        try:
            return self._arrow(block)
        except pa.ArrowInvalid:
            pass
        fixed = block.decode("utf-8", "replace").encode("utf-8")
        if fixed != block:  # invalid UTF-8 only: replace it and let pyarrow try again
            try:
                return self._arrow(fixed)
            except pa.ArrowInvalid:
                pass
        self.lenient += 1
        return self._python(fixed)

    def _arrow(self, block: bytes) -> tuple[dict[str, Any], int]:
        read = pa_csv.ReadOptions(
            column_names=self.names, use_threads=False, block_size=len(block) + 1
        )
        parse = pa_csv.ParseOptions(
            delimiter=self.delimiter,
            quote_char='"' if self.quoted else False,
            newlines_in_values=self.quoted and b'"' in block,
            ignore_empty_lines=True,
        )
        table = pa_csv.read_csv(
            pa.BufferReader(block),
            read_options=read,
            parse_options=parse,
            convert_options=self._convert,
        )
        columns = {name: table.column(i).combine_chunks() for i, name in enumerate(self.names)}
        return columns, table.num_rows

    def _python(self, block: bytes) -> tuple[dict[str, Any], int]:
        width = len(self.names)
        values: list[list[str | None]] = [[] for _ in range(width)]
        source = io.StringIO(block.decode("utf-8", "replace"), newline="")
        if self.quoted:
            reader = csv.reader(source, delimiter=self.delimiter)
        else:
            reader = csv.reader(source, delimiter=self.delimiter, quoting=csv.QUOTE_NONE)
        rows = bad = 0
        while bad < 1000:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:  # e.g. a field over the csv module's size limit
                bad += 1
                continue
            if not row:
                continue
            if len(row) > width:  # extra fields stay visible in the last column
                row = [*row[: width - 1], self.delimiter.join(row[width - 1 :])]
            for i in range(width):
                values[i].append(row[i] if i < len(row) else None)
            rows += 1
        arrays = {n: pa.array(v, type=pa.string()) for n, v in zip(self.names, values, strict=True)}
        return arrays, rows
