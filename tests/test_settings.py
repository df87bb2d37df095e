"""Settings: the registry, validation naming the key, `config show|set|edit`, and what a new
company timezone or currency does to data already stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OWN_FIXTURES

from omnictl import clock
from omnictl.errors import UsageError
from omnictl.importer import import_files
from omnictl.orders import get_order
from omnictl.settings import (
    REGISTRY,
    apply_settings_text,
    get,
    set_setting,
    settings_as_toml,
    show_settings,
    unset_setting,
)

SHOPIFY_SMALL = OWN_FIXTURES / "shopify" / "orders_export_small.csv"
RATES = OWN_FIXTURES / "fx" / "rates_eur.csv"


def stored(db) -> dict[str, str]:
    return {r["key"]: r["value"] for r in db.query("SELECT key, value FROM setting")}


# -- the registry and typed reads -------------------------------------------------------------

def test_defaults_are_typed_and_every_key_is_described(db):
    assert get(db, "company.timezone") == "UTC"
    assert get(db, "company.currency") is None
    assert get(db, "company.name") is None
    assert get(db, "fx.max_age_days") == 7
    assert get(db, "plan.dispatch_buffer_days") == 1
    assert get(db, "plan.horizon_days") == 28
    assert (get(db, "plan.weight.urgency"), get(db, "plan.weight.tier"), get(db, "plan.weight.margin")) \
        == (0.6, 0.25, 0.15)
    assert get(db, "close.t_minus_days") == 3
    assert get(db, "close.owner.t3") is None
    assert get(db, "close.escalation") == ["planner", "line lead", "plant manager"]
    assert get(db, "close.consumption_tolerance_pct") == 5.0
    assert get(db, "stock.count_tolerance") == 0
    assert (get(db, "kpi.otd_target_pct"), get(db, "kpi.oee_target_pct"), get(db, "kpi.turnover_days_target")) \
        == (95.0, 80.0, 45.0)
    assert get(db, "forecast.sales_weight") == 0.5
    assert all(item.description.endswith(".") and len(item.description) > 30 for item in REGISTRY)


def test_show_lists_the_registry_in_order_with_set_values(db):
    set_setting(db, "close.owner.production.CNC-1", "line lead", "ana")
    items = show_settings(db)
    keys = [i.key for i in items]
    assert keys[:3] == ["company.name", "company.timezone", "company.currency"]
    assert keys.index("close.owner.*") + 1 == keys.index("close.owner.production.CNC-1")
    owner = items[keys.index("close.owner.production.CNC-1")]
    assert (owner.value, owner.is_set, owner.type) == ("line lead", True, "text")
    horizon = items[keys.index("plan.horizon_days")]
    assert (horizon.value, horizon.default, horizon.is_set, horizon.type) == (28, 28, False, "int")
    assert [i.key for i in show_settings(db, "plan.weight")] == \
        ["plan.weight.urgency", "plan.weight.tier", "plan.weight.margin"]
    with pytest.raises(UsageError, match=r"no setting starts with 'plann'; the groups are close, company, "
                                         r"forecast, fx, kpi, plan, stock"):
        show_settings(db, "plann")


# -- set, validation, unset ---------------------------------------------------------------------

@pytest.mark.parametrize("key, value, message", [
    ("company.timezone", "Mars/Base",
     "company.timezone: 'Mars/Base' is not an IANA timezone such as Europe/Berlin or Asia/Shanghai"),
    ("company.currency", "EURO",
     "company.currency: 'EURO' is not a three-letter ISO-4217 currency code such as EUR, USD or CNY"),
    ("fx.max_age_days", "-1", "fx.max_age_days: '-1' is not a whole number of days, 0 or more"),
    ("plan.horizon_days", "0", "plan.horizon_days: '0' is not a whole number of days, 1 or more"),
    ("plan.horizon_days", "2.5", "plan.horizon_days: '2.5' is not a whole number of days, 1 or more"),
    ("plan.weight.tier", "-0.1", "plan.weight.tier: '-0.1' is not a number, 0 or more"),
    ("kpi.otd_target_pct", "101", "kpi.otd_target_pct: '101' is not a percentage from 0 to 100"),
    ("kpi.turnover_days_target", "0", "kpi.turnover_days_target: '0' is not a number above 0"),
    ("forecast.sales_weight", "1.5", "forecast.sales_weight: '1.5' is not a number from 0 to 1"),
    ("close.escalation", "planner,,manager",
     "close.escalation: 'planner,,manager' is not a comma-separated list of roles, none empty"),
    ("stock.count_tolerance", "two", "stock.count_tolerance: 'two' is not a whole number, 0 or more"),
])
def test_a_bad_value_names_key_value_and_what_is_allowed(db, key, value, message):
    with pytest.raises(UsageError) as err:
        set_setting(db, key, value, "ana")
    assert str(err.value) == message
    assert stored(db) == {}


def test_unknown_key_names_the_closest_known_keys(db):
    with pytest.raises(UsageError) as err:
        set_setting(db, "plan.horizon", "14", "ana")
    assert str(err.value) == "unknown setting 'plan.horizon'; did you mean plan.horizon_days?"
    with pytest.raises(UsageError) as err:
        set_setting(db, "kpi.otd_target", "90", "ana")
    assert str(err.value) == "unknown setting 'kpi.otd_target'; did you mean kpi.otd_target_pct?"
    with pytest.raises(UsageError) as err:
        set_setting(db, "zzz", "1", "ana")
    assert str(err.value) == "unknown setting 'zzz'; `omnictl config show` lists them"
    with pytest.raises(UsageError, match="demo.built_at is written by omnictl itself"):
        set_setting(db, "demo.built_at", "x", "ana")


def test_values_are_normalised_when_stored(db):
    set_setting(db, "company.currency", "eur", "ana")
    set_setting(db, "company.timezone", "asia/shanghai", "ana")
    set_setting(db, "kpi.otd_target_pct", "97.5%", "ana")
    set_setting(db, "plan.weight.urgency", "0,7", "ana")
    set_setting(db, "close.escalation", " planner , plant manager ", "ana")
    assert stored(db) == {"company.currency": "EUR", "company.timezone": "Asia/Shanghai",
                          "kpi.otd_target_pct": "97.5", "plan.weight.urgency": "0.7",
                          "close.escalation": "planner,plant manager"}
    assert get(db, "kpi.otd_target_pct") == 97.5
    assert get(db, "close.escalation") == ["planner", "plant manager"]
    assert str(clock.zone()) == "Asia/Shanghai"


def test_set_reports_the_change_and_unset_returns_to_default(db):
    result = set_setting(db, "plan.horizon_days", "14", "ana")
    assert [(c.key, c.old, c.new, c.value) for c in result.changes] == [("plan.horizon_days", None, "14", 14)]
    assert set_setting(db, "plan.horizon_days", "14", "ana").changes == []
    result = unset_setting(db, "plan.horizon_days", "ana")
    assert [(c.key, c.old, c.new, c.value) for c in result.changes] == [("plan.horizon_days", "14", None, 28)]
    assert stored(db) == {} and get(db, "plan.horizon_days") == 28


# -- effects on stored data ---------------------------------------------------------------------------

def test_timezone_change_redates_orders_and_their_derived_ship_by(db):
    import_files(db, [SHOPIFY_SMALL])
    before = get_order(db, "#2001")
    assert (before.ordered_at, before.ordered_on, before.promised_ship_by, before.promised_source) == \
        ("2026-11-20T02:01:55Z", "2026-11-20", "2026-11-22", "derived")
    result = set_setting(db, "company.timezone", "America/Los_Angeles", "ana")
    assert (result.orders_redated, result.ship_by_moved) == (1, 1)     # 2026-11-19 18:01:55 in Los Angeles
    after = get_order(db, "#2001")
    assert (after.ordered_at, after.ordered_on, after.promised_ship_by) == \
        ("2026-11-20T02:01:55Z", "2026-11-19", "2026-11-21")
    assert [(o.ordered_at, o.ordered_on) for o in (get_order(db, "#2002"), get_order(db, "#2003"))] == \
        [("2026-11-22T23:30:00Z", "2026-11-22"), ("2026-11-24T11:59:40Z", "2026-11-24")]
    assert str(clock.zone()) == "America/Los_Angeles"
    result = set_setting(db, "company.timezone", "Asia/Tokyo", "ana")   # #2002 is 08:30 on the 23rd there
    assert (result.orders_redated, result.ship_by_moved) == (2, 2)
    assert [get_order(db, k).ordered_on for k in ("#2001", "#2002", "#2003")] == \
        ["2026-11-20", "2026-11-23", "2026-11-24"]
    assert get_order(db, "#2002").promised_ship_by == "2026-11-25"
    result = unset_setting(db, "company.timezone", "ana")               # back to UTC
    assert result.orders_redated == 1
    assert [get_order(db, k).ordered_on for k in ("#2001", "#2002", "#2003")] == \
        ["2026-11-20", "2026-11-22", "2026-11-24"]


def test_a_date_only_order_keeps_its_date(db):
    import_files(db, [SHOPIFY_SMALL])
    import_files(db, [OWN_FIXTURES / "manual" / "social-orders.csv"], profile="manual")
    row = db.one("SELECT ordered_at, ordered_on, promised_ship_by FROM sales_order WHERE external_id = 'WX-001'")
    assert tuple(row) == (None, "2026-11-20", "2026-11-27")
    result = set_setting(db, "company.timezone", "Pacific/Auckland", "ana")        # UTC+13 in November
    assert result.orders_redated == 2
    assert [get_order(db, k).ordered_on for k in ("#2001", "#2002", "#2003", "WX-001")] == \
        ["2026-11-20", "2026-11-23", "2026-11-25", "2026-11-20"]
    assert get_order(db, "WX-001").promised_ship_by == "2026-11-27"


def test_currency_change_with_rates_warns_that_they_are_against_the_old_base(db):
    from omnictl.fx import import_rates

    set_setting(db, "company.currency", "EUR", "ana")
    import_rates(db, RATES, actor="ana")
    result = set_setting(db, "company.currency", "USD", "ana")
    assert [(c.old, c.new) for c in result.changes] == [("EUR", "USD")]
    assert result.warnings == [("company.currency changed to USD: the 6 exchange rate(s) stored against EUR no "
                                "longer apply (they are kept, and apply again if EUR is set back); import rates "
                                "against USD with `omnictl fx import`")]
    assert get(db, "company.currency") == "USD"
    from omnictl.fx import list_rates, rates_for

    assert list_rates(db) == [] and rates_for(db).to_base(1000, "EUR", "2026-11-20")[0] is None
    back = set_setting(db, "company.currency", "EUR", "ana")
    assert back.warnings == [] and len(list_rates(db)) == 6           # the EUR rates apply again


# -- the editor's file ------------------------------------------------------------------------------------

def test_toml_round_trip_changes_nothing(db):
    set_setting(db, "company.timezone", "Europe/Berlin", "ana")
    set_setting(db, "close.owner.production.CNC-1", "Wang Lei", "ana")
    set_setting(db, "close.escalation", "planner,plant manager", "ana")
    text = settings_as_toml(db)
    assert 'company.timezone = "Europe/Berlin"\n' in text
    assert 'close.owner.production.CNC-1 = "Wang Lei"\n' in text
    assert "# plan.horizon_days = 28  # default\n" in text
    assert apply_settings_text(db, text, "ana").changes == []
    assert apply_settings_text(db, text.replace("# plan.horizon_days = 28  # default",
                                                "plan.horizon_days = 28  # default"), "ana").changes[0].new == "28"


def test_toml_edit_applies_all_or_nothing(db):
    set_setting(db, "company.name", "Qingshan", "ana")
    set_setting(db, "close.owner.t3", "planner", "ana")
    text = settings_as_toml(db)
    bad = text.replace("# fx.max_age_days = 7  # default", "fx.max_age_days = 3") \
              .replace("# kpi.oee_target_pct = 80  # default", "kpi.oee_target_pct = 180")
    with pytest.raises(UsageError) as err:
        apply_settings_text(db, bad, "ana")
    assert str(err.value) == "kpi.oee_target_pct: '180' is not a percentage from 0 to 100"
    assert stored(db) == {"company.name": "Qingshan", "close.owner.t3": "planner"}
    with pytest.raises(UsageError, match=r"^the settings file is not valid TOML \(.*line 1.*\); nothing was changed$"):
        apply_settings_text(db, "fx.max_age_days = = 3\n", "ana")
    with pytest.raises(UsageError, match=r"^unknown setting 'fx.max_age'; did you mean fx.max_age_days\?$"):
        apply_settings_text(db, "fx.max_age = 3\n", "ana")
    assert stored(db) == {"company.name": "Qingshan", "close.owner.t3": "planner"}

    good = text.replace("# fx.max_age_days = 7  # default", "fx.max_age_days = 3") \
               .replace('close.owner.t3 = "planner"\n', "") \
               + '\n[close.owner]\nshipping = "warehouse lead"\n[plan.weight]\nurgency = 0.5\ntier = 1\n'
    result = apply_settings_text(db, good, "ana")
    assert sorted((c.key, c.old, c.new) for c in result.changes) == [
        ("close.owner.shipping", None, "warehouse lead"), ("close.owner.t3", "planner", None),
        ("fx.max_age_days", None, "3"), ("plan.weight.tier", None, "1"), ("plan.weight.urgency", None, "0.5")]
    assert stored(db) == {"company.name": "Qingshan", "close.owner.shipping": "warehouse lead",
                          "fx.max_age_days": "3", "plan.weight.tier": "1", "plan.weight.urgency": "0.5"}


# -- the CLI -------------------------------------------------------------------------------------------------

def test_cli_config_set_and_show(cli):
    result = cli("config", "set", "company.timezone", "Europe/Berlin")
    assert result.code == 0, result
    assert result.stdout == "company.timezone: (not set) → Europe/Berlin\n"
    result = cli("config", "set", "plan.horizon_days", "21", "--json")
    assert result.code == 0 and result.json()["changes"] == [
        {"key": "plan.horizon_days", "old": None, "new": "21", "value": 21}]
    shown = {i["key"]: i for i in cli("config", "show", "--json").json()}
    assert shown["company.timezone"]["value"] == "Europe/Berlin" and shown["company.timezone"]["is_set"] is True
    assert shown["plan.horizon_days"]["value"] == 21 and shown["plan.horizon_days"]["default"] == 28
    assert shown["kpi.oee_target_pct"] == {
        "key": "kpi.oee_target_pct", "value": 80.0, "default": 80.0, "is_set": False, "type": "percent",
        "allowed": "a percentage from 0 to 100", "readonly": False,
        "description": "Target for overall equipment effectiveness (OEE), in percent."}
    table = cli("config", "show", "plan")
    assert table.code == 0
    assert [line.split()[:3] for line in table.stdout.splitlines()[2:4]] == \
        [["plan.dispatch_buffer_days", "1", "default"], ["plan.horizon_days", "21", "set"]]
    result = cli("config", "set", "plan.horizon_days", "--unset")
    assert result.code == 0 and result.stdout == "plan.horizon_days: 21 → unset (default: 28)\n"


def test_cli_config_errors_exit_2_with_one_sentence(cli):
    result = cli("config", "set", "company.timezone", "Mars/Base")
    assert result.code == 2
    assert result.stderr == ("Error: company.timezone: 'Mars/Base' is not an IANA timezone such as "
                             "Europe/Berlin or Asia/Shanghai\n")
    result = cli("config", "set", "plan.horizon", "3")
    assert (result.code, result.stderr) == (2, ("Error: unknown setting 'plan.horizon'; did you mean "
                                               "plan.horizon_days?\n"))
    result = cli("config", "set", "plan.horizon_days")
    assert (result.code, result.stderr) == (2, ("Error: give plan.horizon_days a VALUE, or --unset to return it "
                                               "to its default (not both)\n"))


def test_cli_timezone_change_moves_an_orders_date(cli):
    assert cli("import", SHOPIFY_SMALL).code == 0
    result = cli("config", "set", "company.timezone", "America/Los_Angeles")
    assert result.code == 0
    assert "1 order(s) now fall on another calendar date in the new timezone; 1 derived ship-by date(s) " \
           "moved with them" in result.stderr
    order = cli("orders", "show", "#2001", "--json").json()
    assert (order["ordered_at"], order["ordered_on"], order["promised_ship_by"]) == \
        ("2026-11-20T02:01:55Z", "2026-11-19", "2026-11-21")
    listed = cli("orders", "list", "--from", "2026-11-19", "--to", "2026-11-19", "--json").json()
    assert [o["external_id"] for o in listed] == ["#2001"]


def write_editor(tmp_path, python_code: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\npath = pathlib.Path(sys.argv[1])\ntext = path.read_text()\n"
                      + python_code + "\npath.write_text(text)\n")
    return f"{sys.executable} {script}"


def test_cli_config_edit(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", write_editor(tmp_path, "text = text.replace("
                                              "'# company.currency = \"\"  # not set', 'company.currency = \"cny\"')"
                                              ".replace('# close.t_minus_days = 3  # default', "
                                              "'close.t_minus_days = 2')"))
    result = cli("config", "edit")
    assert result.code == 0, result
    assert result.stdout == "company.currency: (not set) → CNY\nclose.t_minus_days: (not set) → 2\n"
    assert {i["key"]: i["value"] for i in cli("config", "show", "--json").json()}["close.t_minus_days"] == 2

    monkeypatch.setenv("EDITOR", write_editor(tmp_path, "pass"))
    result = cli("config", "edit")
    assert (result.code, result.stdout, result.stderr) == (0, "", "no changes\n")

    monkeypatch.setenv("EDITOR", write_editor(tmp_path, "text = text.replace('close.t_minus_days = 2', "
                                                        "'close.t_minus_days = -2')"))
    result = cli("config", "edit")
    assert result.code == 2
    assert result.stderr.startswith("Error: close.t_minus_days: '-2' is not a whole number of days, 0 or more; "
                                    "your edit is kept in ")
    kept = result.stderr.split("your edit is kept in ")[1].strip()
    assert "close.t_minus_days = -2" in Path(kept).read_text(encoding="utf-8")
    assert {i["key"]: i["value"] for i in cli("config", "show", "--json").json()}["close.t_minus_days"] == 2


def test_cli_config_edit_without_editor_or_terminal(cli, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    result = cli("config", "edit")
    assert (result.code, result.stderr) == (2, ("Error: no editor to run: set $EDITOR (or $VISUAL), or use "
                                               "`omnictl config set KEY VALUE`\n"))
    monkeypatch.setenv("EDITOR", "false")
    result = cli("config", "edit")
    assert (result.code, result.stderr) == (2, ("Error: the editor 'false' exited with status 1; nothing was "
                                               "changed\n"))


def test_settings_and_fx_modules_load_no_ui_library():
    code = ("import sys, omnictl.settings, omnictl.fx\n"
            "print(','.join(m for m in ('typer', 'textual', 'rich', 'click') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_cli_negative_value_is_validated_not_taken_for_an_option(cli):
    result = cli("config", "set", "fx.max_age_days", "-1")
    assert result.code == 2
    assert result.stderr.strip() == "Error: fx.max_age_days: '-1' is not a whole number of days, 0 or more"
