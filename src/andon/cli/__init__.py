"""The ``andon`` command line (typer + rich). Thin: parse, call, print."""
