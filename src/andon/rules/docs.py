"""Generate ``docs/rules.md`` from the rule metadata.

Usage::

    python -m andon.rules.docs > docs/rules.md     # print the document
    python -m andon.rules.docs --check docs/rules.md  # exit 1 when the file is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from andon.rules.catalog import default_registry
from andon.rules.explain import render_docs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m andon.rules.docs", description=__doc__)
    parser.add_argument("--check", metavar="PATH", help="compare PATH with the generated text")
    args = parser.parse_args(argv)
    text = render_docs(default_registry().all())
    if args.check:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(
                f"{path} is out of date: run `python -m andon.rules.docs > {path}`",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
