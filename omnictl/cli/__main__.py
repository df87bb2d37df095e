"""`python -m omnictl.cli ...` runs `omnictl ...` (the browser console starts its sessions so)."""

from omnictl.cli.main import run

run()
