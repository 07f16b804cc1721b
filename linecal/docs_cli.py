"""`linecal docs`: documents generated from the code, so they cannot drift from it."""

from __future__ import annotations

import typer

from linecal import catalog

docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)


@docs_app.command("event-catalog")
def event_catalog(
    write: bool = typer.Option(False, "--write", help="Update docs/api-specification.md."),
) -> None:
    """Print the event catalog, or write it into docs/api-specification.md."""
    if not write:
        typer.echo(catalog.render())
        return
    changed = catalog.write()
    typer.echo("updated docs/api-specification.md" if changed else "already up to date")
