"""The ``alstrial`` command line (typer). Each area registers its commands from ``commands/``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="alstrial",
    help="Run and analyse trials of autologous MSC therapy in ALS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Run and analyse trials of autologous MSC therapy in ALS."""


COMMAND_MODULES = (
    "alsfrs",
    "protocol",
    "randomisation",
    "registry",
    "analysis",
    "simulate",
    "export",
    "web",
    "safety",
    "backup",
    "sap",
    "checks",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"alstrial.commands.{_name}").register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
