"""The one Typer app. Each command group lives in `aiposture.commands.<name>` as a
thin shell; this module only assembles them, in an explicit list (no discovery by
import side effect)."""

from __future__ import annotations

import importlib

import typer

from aiposture import __version__

app = typer.Typer(
    name="aiposture",
    help="AI security posture: discover AI assets, guard model calls, govern and score.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module under aiposture.commands, sub-app name or None for top-level commands)
COMMAND_MODULES: list[tuple[str, str | None]] = [
    ("discover", None),
    ("demo", "demo"),
    ("guard", "guard"),
    ("assess", None),
    ("posture", None),
    ("redteam", "redteam"),
    ("gateway", None),
    ("principals", "principals"),
    ("tokens", "tokens"),
    ("policy", "policy"),
    ("approvals", "approvals"),
    ("elevation", "elevation"),
    ("audit", "audit"),
    ("models", "models"),
]


def _register() -> None:
    for module_name, group in COMMAND_MODULES:
        module = importlib.import_module(f"aiposture.commands.{module_name}")
        module.register(app) if group is None else app.add_typer(module.app, name=group)


@app.callback()
def main() -> None:
    """AI security posture: discover AI assets, guard model calls, govern and score."""


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


_register()

if __name__ == "__main__":  # pragma: no cover
    app()
