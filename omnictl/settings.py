"""Settings: one declarative registry of every key, its type, default, meaning and check.

Values are stored as text in table `setting` (normalised: `EUR`, `Europe/Berlin`, `0.6`);
`get(db, key)` returns the typed value or the default. A registry key may end in `*` for
a keyed family (`close.owner.*` holds `close.owner.t3`, `close.owner.production.CNC-1`).

Changing a setting is one transaction, and keeps what is derived from it right: a new
company timezone re-dates every order that has an instant (`ordered_on` is the calendar
date of `ordered_at` in the company zone, and a derived ship-by date moves with it).
"""

from __future__ import annotations

import difflib
import json
import re
import textwrap
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from omnictl import audit, clock
from omnictl.db import Database
from omnictl.errors import UsageError
from omnictl.models import SettingChange, SettingInfo, SettingsResult

TypedValue = str | int | float | list[str] | None


# -- value types: text → (normalised text, typed value), or ValueError ------------------------

@dataclass(frozen=True)
class Kind:
    name: str                                   # shown as the type: text, int, float, ...
    allowed: str                                # completes "'x' is not ..."
    parse: Callable[[str], tuple[str, TypedValue]]


def _text(text: str) -> tuple[str, str]:
    text = text.strip()
    if not text:
        raise ValueError
    return text, text


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _timezone(text: str) -> tuple[str, str]:
    name = _zones().get(text.strip().casefold(), text.strip())
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):     # OSError: 'America' is a folder, a name too long
        raise ValueError from None
    if _zones() and name not in _zones().values():
        raise ValueError
    return name, name


def _currency(text: str) -> tuple[str, str]:
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError
    return code, code


def _decimal(text: str) -> Decimal:
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"-?\d+,\d+", text):
        text = text.replace(",", ".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError from None


def _canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _integer(minimum: int) -> Callable[[str], tuple[str, int]]:
    def parse(text: str) -> tuple[str, int]:
        value = _decimal(text)
        if value != value.to_integral_value() or value < minimum:
            raise ValueError
        return str(int(value)), int(value)
    return parse


def _number(low: Decimal | None, high: Decimal | None = None, *, above: bool = False,
            percent: bool = False) -> Callable[[str], tuple[str, float]]:
    def parse(text: str) -> tuple[str, float]:
        text = text.strip()
        if percent and text.endswith("%"):
            text = text[:-1]
        value = _decimal(text)
        if low is not None and (value <= low if above else value < low):
            raise ValueError
        if high is not None and value > high:
            raise ValueError
        return _canonical(value), float(value)
    return parse


def _roles(text: str) -> tuple[str, list[str]]:
    items = [part.strip() for part in text.split(",")]
    if not items or any(not item for item in items):
        raise ValueError
    return ",".join(items), items


TEXT = Kind("text", "a non-empty text", _text)
TIMEZONE = Kind("timezone", "an IANA timezone such as Europe/Berlin or Asia/Shanghai", _timezone)
CURRENCY = Kind("currency", "a three-letter ISO-4217 currency code such as EUR, USD or CNY", _currency)
DAYS = Kind("int", "a whole number of days, 0 or more", _integer(0))
DAYS_1 = Kind("int", "a whole number of days, 1 or more", _integer(1))
COUNT = Kind("int", "a whole number, 0 or more", _integer(0))
WEIGHT = Kind("float", "a number, 0 or more", _number(Decimal(0)))
PERCENT = Kind("percent", "a percentage from 0 to 100", _number(Decimal(0), Decimal(100), percent=True))
POSITIVE = Kind("float", "a number above 0", _number(Decimal(0), above=True))
SHARE = Kind("float", "a number from 0 to 1", _number(Decimal(0), Decimal(1)))
ROLES = Kind("list", "a comma-separated list of roles, none empty", _roles)


# -- the registry -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    key: str                   # a dotted key; a trailing `*` stands for a family of keys
    kind: Kind
    default: str | None        # as text, parsed like a stored value; None = not set
    description: str
    readonly: bool = False     # written by omnictl itself (the demo), shown but not settable

    @property
    def family(self) -> bool:
        return self.key.endswith("*")

    def matches(self, key: str) -> bool:
        if not self.family:
            return key == self.key
        stem = self.key[:-1]
        return key.startswith(stem) and len(key) > len(stem)

    def typed_default(self) -> TypedValue:
        return None if self.default is None else self.kind.parse(self.default)[1]


REGISTRY: list[Setting] = [
    Setting("company.name", TEXT, None, "The company's name, shown in reports and the TUI title."),
    Setting("company.timezone", TIMEZONE, "UTC",
            "Timezone in which every calendar date is taken: order dates, due dates, date filters, "
            "the daily close and 'today'. Changing it re-dates orders that have an order time."),
    Setting("company.currency", CURRENCY, None,
            "Base currency: the currency of imports that state none, and the one exchange rates, "
            "margins, stock value and KPIs are expressed in. Not set until you set it."),
    Setting("fx.max_age_days", DAYS, "7",
            "An exchange rate older than this many days before an order's date counts as missing "
            "(a warning naming currency and date), never as a silent 1.0."),
    Setting("plan.dispatch_buffer_days", DAYS, "1",
            "Days between the end of production and the promised ship-by date: planning aims to "
            "finish this many days early."),
    Setting("plan.horizon_days", DAYS_1, "28",
            "How many days ahead planning and scheduling look, from today."),
    Setting("plan.weight.urgency", WEIGHT, "0.6",
            "Priority weight of urgency (days left to the ship-by date); weights are relative."),
    Setting("plan.weight.tier", WEIGHT, "0.25",
            "Priority weight of the customer's tier (A before B before C)."),
    Setting("plan.weight.margin", WEIGHT, "0.15",
            "Priority weight of the order's margin."),
    Setting("close.t_minus_days", DAYS, "3",
            "T-minus warning: work still unfinished this many days before its ship-by date is "
            "raised as an exception with an owner and a deadline (T-3)."),
    Setting("close.owner.*", TEXT, None,
            "Owner (a role or a person) of one daily-close check or of its exceptions, keyed by "
            "check and optionally work center: close.owner.t3, close.owner.production.CNC-1."),
    Setting("close.escalation", ROLES, "planner,line lead,plant manager",
            "Escalation ladder, lowest first: an exception not closed by its deadline moves to "
            "the next role."),
    Setting("close.deadline_days", DAYS_1, "1",
            "Days an exception of the daily close has to be closed, from the close date; past it the "
            "exception escalates one level up close.escalation."),
    Setting("close.consumption_tolerance_pct", PERCENT, "5",
            "Material issued beyond the bill of materials by more than this percentage (scrap "
            "included) fails the daily close's consumption check."),
    Setting("stock.count_tolerance", COUNT, "0",
            "Units a stock count may differ from the book per SKU and location before the "
            "difference is reported as a problem."),
    Setting("kpi.otd_target_pct", PERCENT, "95", "Target for on-time delivery, in percent of lines shipped by "
            "their ship-by date."),
    Setting("kpi.oee_target_pct", PERCENT, "80", "Target for overall equipment effectiveness (OEE), in percent."),
    Setting("kpi.turnover_days_target", POSITIVE, "45", "Target for inventory turnover, in days of stock "
            "(lower is better)."),
    Setting("kpi.turnover_band_pct", PERCENT, "20", "Inventory turnover days more than this percentage above "
            "or below kpi.turnover_days_target are flagged 'outside band' by `omnictl kpi`."),
    Setting("forecast.service_level_pct", PERCENT, "95",
            "Cycle service level of `omnictl replenish --forecast`: safety stock covers demand "
            "variability over the lead time with this probability (z of the normal distribution)."),
    Setting("forecast.sales_weight", SHARE, "0.5",
            "How much the rolling forecast trusts sales' own forecast against the statistical one "
            "(0 = statistics only, 1 = sales only)."),
    Setting("demo.*", TEXT, None, "Written by `omnictl demo` (when the demo was built, its today); "
            "read-only.", readonly=True),
]
SEGMENT = re.compile(r"[\w-]+")


def _entry(key: str) -> Setting | None:
    for item in REGISTRY:
        if item.matches(key):
            return item
    return None


def _example(item: Setting) -> str:
    return item.key[:-1] + "<name>" if item.family else item.key


def _known(key: str) -> Setting:
    """The registry entry of `key`, or a UsageError naming the closest known keys."""
    item = _entry(key)
    if item is None or (item.family and not all(SEGMENT.fullmatch(p) for p in key.split("."))):
        if item is not None:
            raise UsageError(f"'{key}' is not a valid key for {_example(item)}: each part after the dots is "
                             "letters, digits, '_' or '-'")
        names = [_example(i) for i in REGISTRY if not i.readonly]
        scored = sorted(((difflib.SequenceMatcher(None, key, n).ratio(), n) for n in names), reverse=True)
        close = [n for ratio, n in scored[:3] if ratio >= 0.6 and ratio >= scored[0][0] - 0.05]
        hint = f"did you mean {' or '.join(close)}?" if close else "`omnictl config show` lists them"
        raise UsageError(f"unknown setting '{key}'; {hint}")
    return item


def _check(item: Setting, key: str, value: str) -> tuple[str, TypedValue]:
    try:
        return item.kind.parse(value)
    except ValueError:
        raise UsageError(f"{key}: '{value}' is not {item.kind.allowed}") from None


# -- reading --------------------------------------------------------------------------------------

def _stored(db: Database) -> dict[str, str]:
    return {row["key"]: row["value"] for row in db.query("SELECT key, value FROM setting ORDER BY key")}


def get(db: Database, key: str) -> TypedValue:
    """The typed value of `key` (int, float, text, list), else its default (None if none)."""
    item = _entry(key)
    if item is None:
        raise KeyError(f"not a registered setting: {key}")
    text = db.setting(key)
    if text is None:
        return item.typed_default()
    try:
        return item.kind.parse(text)[1]
    except ValueError:
        raise UsageError(f"setting {key} holds '{text}', which is not {item.kind.allowed}; "
                         f"fix it with `omnictl config set {key} VALUE`") from None


def _info(item: Setting, key: str, text: str | None) -> SettingInfo:
    value = item.typed_default()
    if text is not None:
        try:
            value = item.kind.parse(text)[1]
        except ValueError:
            value = text
    return SettingInfo(key=key, value=value, default=item.typed_default(), is_set=text is not None,
                       type=item.kind.name, allowed=item.kind.allowed, description=item.description,
                       readonly=item.readonly)


def show_settings(db: Database, prefix: str | None = None) -> list[SettingInfo]:
    """Every setting in registry order (a family's set keys after it), optionally by prefix."""
    stored = _stored(db)
    items: list[SettingInfo] = []
    for item in REGISTRY:
        if item.family:
            members = [k for k in stored if item.matches(k)]
            if not item.readonly or members:
                items.append(_info(item, item.key, None))
            items.extend(_info(item, k, stored[k]) for k in members)
        else:
            items.append(_info(item, item.key, stored.get(item.key)))
    for key, text in stored.items():
        if _entry(key) is None:
            items.append(SettingInfo(key=key, value=text, default=None, is_set=True, type="unknown",
                                     allowed="", readonly=True,
                                     description="Not a setting this omnictl knows; kept as stored."))
    if prefix:
        stem = prefix.strip().rstrip(".*")
        items = [i for i in items if i.key == stem or i.key.startswith(stem + ".")]
        if not items:
            groups = sorted({i.key.split(".")[0] for i in REGISTRY if not i.readonly})
            raise UsageError(f"no setting starts with '{prefix}'; the groups are {', '.join(groups)}")
    return items


# -- writing --------------------------------------------------------------------------------------

def set_setting(db: Database, key: str, value: str, actor: str = "unknown") -> SettingsResult:
    """Validate and write one setting in one transaction."""
    key = key.strip()
    item = _known(key)
    _refuse_readonly(item, key)
    text, _typed = _check(item, key, str(value))
    return _apply(db, {key: text}, actor)


def unset_setting(db: Database, key: str, actor: str = "unknown") -> SettingsResult:
    """Remove a setting, so its default applies again."""
    key = key.strip()
    item = _known(key)
    _refuse_readonly(item, key)
    return _apply(db, {key: None}, actor)


def _refuse_readonly(item: Setting, key: str) -> None:
    if item.readonly:
        raise UsageError(f"{key} is written by omnictl itself and cannot be set")


def _apply(db: Database, wanted: dict[str, str | None], actor: str) -> SettingsResult:
    """Write the changes among `wanted` (None = unset) in one transaction, with their effects."""
    result = SettingsResult(actor=actor)
    new_zone = None
    with db.write():
        stored = _stored(db)
        for key, text in wanted.items():
            old = stored.get(key)
            if old == text:
                continue
            if text is None:
                db.execute("DELETE FROM setting WHERE key = ?", (key,))
            else:
                db.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                           "SET value = excluded.value", (key, text))
            item = _entry(key)
            result.changes.append(SettingChange(key=key, old=old, new=text, value=_info(item, key, text).value))
            audit.record(db, actor, "setting.unset" if text is None else "setting.set", key,
                         {"value": old}, {"value": text})
            if key == "company.timezone":
                new_zone = text or item.default
                if new_zone != (old or item.default):
                    result.orders_redated, result.ship_by_moved = _redate_orders(db, new_zone)
            if key == "company.currency":
                result.warnings.extend(_currency_warning(db, old, text))
    if new_zone:
        clock.set_zone(new_zone)
    return result


def _redate_orders(db: Database, zone_name: str) -> tuple[int, int]:
    """Orders' calendar dates in the new zone; a derived ship-by date moves by as many days."""
    zone = ZoneInfo(zone_name)

    @lru_cache(maxsize=4096)
    def local_date(instant: str | None) -> str | None:
        if not instant:
            return None
        try:
            moment = datetime.fromisoformat(instant)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(zone).date().isoformat()

    db.conn.create_function("omnictl_company_date", 1, local_date, deterministic=True)
    try:
        moved = db.scalar(
            "SELECT count(*) FROM sales_order WHERE ordered_at IS NOT NULL AND promised_source = 'derived' "
            "AND promised_ship_by IS NOT NULL AND ordered_on IS NOT NULL "
            "AND omnictl_company_date(ordered_at) != ordered_on")
        changed = db.execute(
            "UPDATE sales_order SET "
            "promised_ship_by = CASE WHEN promised_source = 'derived' AND promised_ship_by IS NOT NULL "
            "  AND ordered_on IS NOT NULL THEN date(promised_ship_by, printf('%+d days', "
            "  CAST(round(julianday(omnictl_company_date(ordered_at)) - julianday(ordered_on)) AS INTEGER))) "
            "  ELSE promised_ship_by END, "
            "ordered_on = omnictl_company_date(ordered_at) "
            "WHERE ordered_at IS NOT NULL AND omnictl_company_date(ordered_at) IS NOT NULL "
            "AND ordered_on IS NOT omnictl_company_date(ordered_at)").rowcount
    finally:
        db.conn.create_function("omnictl_company_date", 1, None)
    return changed, moved


def _currency_warning(db: Database, old: str | None, new: str | None) -> list[str]:
    """Rates are kept per base currency: after a change only rates against the new one apply."""
    stale = db.scalar("SELECT count(*) FROM fx_rate WHERE base IS ?", (old,)) if old != new else 0
    if not stale:
        return []
    usable = db.scalar("SELECT count(*) FROM fx_rate WHERE base = ?", (new,)) if new else 0
    return [f"company.currency {'changed to ' + new if new else 'unset'}: the {stale} exchange rate(s) stored "
            f"against {old} no longer apply (they are kept, and apply again if {old} is set back)"
            + (f"; {usable} rate(s) against {new} apply" if usable else
               f"; import rates against {new} with `omnictl fx import`" if new else "")]


# -- the editor's file ------------------------------------------------------------------------------

def _toml_key(key: str) -> str:
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p, ensure_ascii=False)
                    for p in key.split("."))


def _toml_value(item: Setting, text: str) -> str:
    """Numbers as they are stored (valid TOML integers or floats), everything else a string."""
    if item.kind.name in ("int", "float", "percent") and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def settings_as_toml(db: Database) -> str:
    """Current settings as TOML for an editor: set ones as `key = value`, the others commented
    out with their default, each under its description."""
    stored = _stored(db)
    lines = ["# omnictl settings. Edit values and save. Delete or comment out a line to return that",
             "# setting to its default. Nothing is written unless every value is valid.", ""]
    group = None
    for info in show_settings(db):
        head = info.key.split(".")[0]
        if head != group:
            if group is not None:
                lines.append("")
            group = head
        item = _entry(info.key)
        if item is None:
            lines.append(f"# {info.key} = {json.dumps(stored[info.key], ensure_ascii=False)}  # unknown; kept")
            continue
        if info.key == item.key or item.family and info.key.endswith("*"):
            lines.extend(textwrap.wrap(f"{item.description} ({item.kind.allowed})", 88,
                                       initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False))
        key = _toml_key(info.key)
        if info.key.endswith("*"):
            lines.append(f"# {_example(item)} = \"...\"")
        elif item.readonly:
            lines.append(f"# {key} = {_toml_value(item, stored[info.key])}  # read-only")
        elif info.is_set:
            lines.append(f"{key} = {_toml_value(item, stored[info.key])}")
        elif item.default is None:
            lines.append(f"# {key} = \"\"  # not set")
        else:
            lines.append(f"# {key} = {_toml_value(item, item.default)}  # default")
    return "\n".join(lines) + "\n"


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for name, value in data.items():
        if "." in name:
            raise UsageError(f"'{prefix}{name}': a quoted key part may not hold a dot")
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def _as_text(key: str, value: object) -> str:
    if isinstance(value, (bool, datetime, date, dict)):
        raise UsageError(f"{key}: {json.dumps(value, default=str)} is not a text or a number")
    if isinstance(value, list):
        return ",".join(_as_text(key, v) for v in value)
    if isinstance(value, float):
        return _canonical(Decimal(repr(value)))
    return str(value)


def apply_settings_text(db: Database, toml_text: str, actor: str = "unknown") -> SettingsResult:
    """Apply an edited settings file: every key validated first, then all changes in one
    transaction. A setting missing from the file returns to its default."""
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"the settings file is not valid TOML ({err}); nothing was changed") from None
    wanted: dict[str, str | None] = {}
    for key, value in _flatten(data).items():
        item = _known(key)
        text = _as_text(key, value)
        if item.readonly:
            if db.setting(key) != text:
                raise UsageError(f"{key} is written by omnictl itself and cannot be set; nothing was changed")
            continue
        if text == "" and item.default is None:
            wanted[key] = None
            continue
        wanted[key] = _check(item, key, text)[0]
    for key in _stored(db):
        item = _entry(key)
        if item is not None and not item.readonly and key not in wanted:
            wanted[key] = None
    return _apply(db, wanted, actor)
