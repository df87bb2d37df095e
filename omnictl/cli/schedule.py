"""`omnictl plan run | rush | bottlenecks | gantt`: the finite-capacity schedule."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import db, existing_db
from omnictl.cli.options import ACTOR, JSON
from omnictl.cli.plan import plan_app


@plan_app.command("run")
def plan_run(horizon: Optional[int] = typer.Option(None, "--horizon", metavar="DAYS", min=1,
                                                   help="Days to plan (default: setting plan.horizon_days)."),
             optimize: Optional[float] = typer.Option(None, "--optimize", metavar="SECONDS", min=0.1,
                                                      help="Improve with OR-Tools CP-SAT for this long "
                                                           "(pip install 'omnictl[optimize]')."),
             actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Schedule every open production order on its work centers' calendars, bottleneck first; the run becomes current."""
    from omnictl.importer import actor_name
    from omnictl.planning.schedule import run_schedule

    info = run_schedule(db(), horizon_days=horizon, optimize_seconds=optimize, actor=actor_name(actor))
    R.dump_json(info) if as_json else R.show_schedule_run(info)


@plan_app.command("rush")
def plan_rush(order: str = typer.Argument(..., metavar="ORDER", help="Sales order number or production order (MO-…)."),
              due: Optional[str] = typer.Option(None, "--due", metavar="DATE", help="The date promised for it."),
              accept: bool = typer.Option(False, "--accept", help="Make the re-plan the current plan."),
              reason: Optional[str] = typer.Option(None, "--reason", help="Why (required with --accept)."),
              actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """What if ORDER goes to the top (插单)? Orders that move, become late, OTD and bottleneck load before and after."""
    from omnictl.importer import actor_name
    from omnictl.planning.schedule import rush

    result = rush(existing_db(), order, due=due, accept=accept, reason=reason, actor=actor_name(actor))
    R.dump_json(result) if as_json else R.show_rush(result)


@plan_app.command("bottlenecks")
def plan_bottlenecks(as_json: bool = JSON):
    """Load against capacity per work center and day in the current plan, the binding resource and its queue."""
    from omnictl.planning.schedule import bottlenecks

    report = bottlenecks(existing_db())
    R.dump_json(report) if as_json else R.show_bottlenecks(report)


@plan_app.command("gantt")
def plan_gantt(by: str = typer.Option("resource", "--by", help="resource or order."),
               since: Optional[str] = typer.Option(None, "--from", metavar="TIME", help="Window start (company time)."),
               until: Optional[str] = typer.Option(None, "--to", metavar="TIME", help="Window end (company time)."),
               width: Optional[int] = typer.Option(None, "--width", metavar="N", min=40, help="Chart width in cells."),
               ascii_only: bool = typer.Option(False, "--ascii", help="Plain ASCII (also when output is not a terminal).")):
    """Draw the current plan: a row per work center (or order), bars labelled by order, today and due markers."""
    from omnictl import clock
    from omnictl.planning.gantt import render_gantt
    from omnictl.planning.schedule import gantt_rows

    rows, start, end = gantt_rows(existing_db(), by, since, until)
    plain = ascii_only or not sys.stdout.isatty()
    lines = render_gantt(rows, start, end, width=width or R.out.width, today=clock.now(), zone=clock.zone(),
                         ascii=plain)
    R.show_gantt(lines, plain)
