"""Options shared by the command groups."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout.")
CHANNEL = typer.Option(None, "--channel", metavar="CODE", help="Only this channel.")
ACTOR = typer.Option(None, "--actor", metavar="NAME", help="Who does this (default $USER).")
