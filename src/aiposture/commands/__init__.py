"""Command modules: each holds the thin Typer shells for one command group.

`cli.py` lists them explicitly (STYLE.md: a registry, not import side effects).
A command parses flags, calls library code, hands the result to a writer and maps
exceptions to exit codes through `common.run_command`.
"""
