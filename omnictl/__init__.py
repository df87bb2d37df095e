"""omnictl: one SQLite database for every channel's orders, stock, plans and the daily close.

The domain layer (everything under `omnictl/` except `omnictl/cli`) never imports typer,
textual or rich; the CLI and the TUI are faces over it.
"""

__version__ = "0.1.0"
