"""`aiposture demo`: write the Contoso sample estate and assess it (what `make demo` runs);
`aiposture demo target`: serve the deliberately weak Contoso copilot for red-team practice."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from aiposture.commands.common import DbOption, run_command, stderr_console
from aiposture.demo.estate import write_estate

app = typer.Typer(help="The Contoso sample estate and a weak sample AI target.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Option("--dest", help="Where to write the sample estate.")] = Path("contoso-estate"),
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty folder.")] = False,
    db: DbOption = None,
) -> None:
    """Write the Contoso sample estate to --dest and run the main job on it."""
    if ctx.invoked_subcommand is not None:
        return

    def body() -> None:
        estate = write_estate(dest, overwrite=force)
        stderr_console.print(f"wrote the Contoso sample estate to [bold]{estate}[/]", highlight=False)
        _register_identities(db)
        _assess(estate, db)

    run_command(body)


def _register_identities(db: str | None) -> None:
    """Contoso's agent identities in the demo's store, where the identity part is installed."""
    try:
        seed = importlib.import_module("aiposture.commands.demo_identities")
    except ModuleNotFoundError:
        return
    from aiposture.config import Settings
    from aiposture.store import Store

    store = Store.open(Settings().database_url(db))
    try:
        added = seed.register_demo_identities(store)
    finally:
        store.close()
    if added:
        stderr_console.print(f"registered the demo identities {', '.join(added)}", highlight=False)


def _assess(estate: Path, db: str | None) -> None:
    """The main job on the estate: `assess` where it is installed, else `discover`."""
    try:
        assess = importlib.import_module("aiposture.commands.assess")
    except ModuleNotFoundError:
        from aiposture.commands.discover import DiscoverFormat, discover_command

        discover_command(estate, format=DiscoverFormat.table, output=None, db=db, fail_on=None, exclude=None,
                         no_gitignore=False, max_file_size=10 << 20, workers=0, no_store=False, validate=False)
        return
    assess.run_demo_assessment(estate, db)


@app.command("target")
def target(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8788,
) -> None:
    """Serve the deliberately weak "Contoso copilot" as an OpenAI-compatible endpoint."""

    def body() -> None:
        try:
            module = importlib.import_module("aiposture.commands.demo_target")
        except ModuleNotFoundError:
            print("the red-team sample target is not part of this installation", file=sys.stderr)
            raise typer.Exit(2) from None
        module.serve_target(host, port)

    run_command(body)
