"""Exchange rates: import (batches, rejects, upserts, refusals) and conversion to the base
currency at the rate of a date, with a warning instead of a silent 1.0."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import OWN_FIXTURES

from omnictl.errors import InputFileError, StrictRejects, UsageError
from omnictl.fx import import_rates, list_rates, rates_for
from omnictl.settings import set_setting

FX = OWN_FIXTURES / "fx"


def rates(db) -> dict[tuple[str, str], str]:
    return {(r["currency"], r["on_date"]): r["rate"] for r in db.query("SELECT * FROM fx_rate")}


@pytest.fixture
def eur(db):
    set_setting(db, "company.currency", "EUR", "ana")
    return db


# -- import -----------------------------------------------------------------------------------

def test_import_is_one_batch_with_every_rate(eur):
    result = import_rates(eur, FX / "rates_eur.csv", actor="ana")
    assert (result.rows_read, result.created, result.updated, result.rejected, result.base_currency) == \
        (6, 6, 0, 0, "EUR")
    assert rates(eur) == {("USD", "2026-11-18"): "0.9210", ("USD", "2026-11-20"): "0.9250",
                          ("JPY", "2026-11-20"): "0.006125", ("GBP", "2026-11-19"): "1.1520",
                          ("CNY", "2026-11-20"): "0.1290", ("EUR", "2026-11-20"): "1"}
    batch = eur.one("SELECT * FROM import_batch WHERE id = ?", (result.batch,))
    assert (batch["kind"], batch["file_name"], batch["rows_read"], batch["imported"], batch["rejected"],
            batch["actor"], len(batch["sha256"])) == ("fx", "rates_eur.csv", 6, 6, 0, "ana", 64)


def test_same_file_again_changes_nothing(eur):
    first = import_rates(eur, FX / "rates_eur.csv", actor="ana")
    again = import_rates(eur, FX / "rates_eur.csv", actor="ana")
    assert (again.already_imported_as, again.batch, again.created) == (first.batch, None, 0)
    assert eur.scalar("SELECT count(*) FROM import_batch") == 1


def test_newer_rate_replaces_the_old_one(eur):
    import_rates(eur, FX / "rates_eur.csv", actor="ana")
    result = import_rates(eur, FX / "rates_newer.csv", actor="ana")     # on_date / ccy / rate_to_base
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert rates(eur)[("USD", "2026-11-20")] == "0.9300"
    assert rates(eur)[("USD", "2026-11-24")] == "0.9280"
    assert eur.scalar("SELECT batch_id FROM fx_rate WHERE currency = 'USD' AND on_date = '2026-11-20'") == \
        result.batch


def test_bad_rows_are_rejects_while_good_rows_import(eur):
    result = import_rates(eur, FX / "rates_bad_rows.csv", actor="ana")
    assert (result.rows_read, result.created, result.rejected) == (7, 2, 5)
    assert [(r.row, r.field, r.reason) for r in result.rejects] == [
        (3, "date", ("row 3, column 'date': '2026-13-01' is not a date (YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY or "
                    "YYYYMMDD)")),
        (4, "currency", "row 4, column 'currency': 'US' is not a three-letter currency code such as USD"),
        (5, "rate", "row 5, column 'rate': '-1.15' is not a positive decimal number"),
        (6, "rate", "row 6, column 'rate': 'abc' is not a positive decimal number"),
        (7, "rate", "row 7, column 'rate': EUR is the company currency, so its rate is 1, not '1.1'"),
    ]
    assert rates(eur) == {("USD", "2026-11-21"): "0.9260", ("JPY", "2026-11-21"): "0.006130"}
    kept = eur.query("SELECT row_no, field, raw FROM import_reject WHERE batch_id = ? ORDER BY row_no",
                     (result.batch,))
    assert [tuple(r) for r in kept][:2] == [(3, "date", "2026-13-01,USD,0.9270"), (4, "currency", "2026-11-21,US,0.9270")]
    assert len(kept) == 5


def test_strict_and_dry_run_write_nothing(eur):
    with pytest.raises(StrictRejects, match=r"rates_bad_rows.csv: 5 row\(s\) rejected under --strict \(first: "
                                            r"row 3, column 'date'.*nothing was written"):
        import_rates(eur, FX / "rates_bad_rows.csv", strict=True, actor="ana")
    result = import_rates(eur, FX / "rates_eur.csv", dry_run=True, actor="ana")
    assert (result.created, result.batch, result.dry_run) == (6, None, True)
    assert rates(eur) == {} and eur.scalar("SELECT count(*) FROM import_batch") == 0


def test_decimal_comma_day_first_dates_and_aliases(eur):
    result = import_rates(eur, FX / "rates_semicolon.csv", actor="ana")      # date;ccy;rate with 1,0645
    assert (result.created, result.rejected) == (2, 0)
    assert rates(eur) == {("CHF", "2026-11-20"): "1.0645", ("CHF", "2026-11-21"): "1.0650"}


def test_chinese_headers_in_gb18030(db):
    set_setting(db, "company.currency", "CNY", "ana")
    result = import_rates(db, FX / "rates_cny.tsv", actor="ana")          # 日期 / 币种 / 汇率
    assert (result.created, result.rejected) == (3, 0)
    assert rates(db)[("JPY", "2026-11-20")] == "0.047410"


def test_xlsx(eur, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Currency", "Rate"])
    sheet.append([datetime(2026, 11, 20), "usd", 0.925])
    sheet.append([datetime(2026, 11, 21), "GBP", "1.1530"])
    book.save(tmp_path / "rates.xlsx")
    result = import_rates(eur, tmp_path / "rates.xlsx", actor="ana")
    assert (result.created, result.rejected) == (2, 0)
    assert rates(eur) == {("USD", "2026-11-20"): "0.925", ("GBP", "2026-11-21"): "1.1530"}


def test_file_level_faults_write_nothing(eur):
    with pytest.raises(InputFileError) as err:
        import_rates(eur, FX / "rates_missing_column.csv", actor="ana")
    assert str(err.value) == (f"{FX / 'rates_missing_column.csv'}: missing required column 'rate' for exchange "
                              "rates (expected header: date, currency, rate)")
    assert eur.scalar("SELECT count(*) FROM import_batch") == 0


def test_no_company_currency_is_a_usage_error(db):
    with pytest.raises(UsageError) as err:
        import_rates(db, FX / "rates_eur.csv", actor="ana")
    assert str(err.value) == ("the company currency is not set, so rates have no base; set it first with "
                              "`omnictl config set company.currency EUR` (your currency's code)")
    assert db.scalar("SELECT count(*) FROM import_batch") == 0


def test_list_rates(eur):
    import_rates(eur, FX / "rates_eur.csv", actor="ana")
    assert [(r.currency, r.on_date, r.rate) for r in list_rates(eur, currency="usd")] == \
        [("USD", "2026-11-18", "0.9210"), ("USD", "2026-11-20", "0.9250")]
    assert [(r.currency, r.on_date) for r in list_rates(eur, since="2026-11-20")] == \
        [("CNY", "2026-11-20"), ("EUR", "2026-11-20"), ("JPY", "2026-11-20"), ("USD", "2026-11-20")]
    with pytest.raises(UsageError, match=r"^--from: '20/11' is not a date \(expected YYYY-MM-DD\)$"):
        list_rates(eur, since="20/11")


# -- conversion -------------------------------------------------------------------------------------

def test_conversion_at_the_rate_of_the_date_or_the_latest_within_max_age(eur):
    import_rates(eur, FX / "rates_eur.csv", actor="ana")
    fx = rates_for(eur)
    assert fx.to_base(19700, "EUR", "2026-11-22") == (19700, None)          # the base itself: no rate needed
    assert fx.to_base(19700, "USD", "2026-11-20") == (18223, None)          # 197.00 × 0.9250 = 182.225
    assert fx.to_base(19700, "USD", "2026-11-19") == (18144, None)          # 18th's rate: 181.437
    assert fx.to_base(19700, "usd", "2026-11-25") == (18223, None)          # 5 days old, within 7
    assert fx.to_base(12345, "JPY", "2026-11-20") == (7561, None)           # ¥12,345 (no minor digits) → €75.61
    assert fx.rate("JPY", "2026-11-21") == (Decimal("0.006125"), None)


def test_a_missing_rate_is_a_warning_never_one(eur):
    import_rates(eur, FX / "rates_eur.csv", actor="ana")
    fx = rates_for(eur)
    assert fx.to_base(19700, "USD", "2026-11-28") == \
        (None, "no USD rate on or within 7 days before 2026-11-28; import one with `omnictl fx import`")
    assert fx.to_base(500, "CHF", "2026-11-20") == \
        (None, "no CHF rate on or within 7 days before 2026-11-20; import one with `omnictl fx import`")
    assert fx.to_base(500, "USD", "2026-11-17") == \
        (None, "no USD rate on or within 7 days before 2026-11-17; import one with `omnictl fx import`")
    set_setting(eur, "fx.max_age_days", "0", "ana")
    assert rates_for(eur).to_base(19700, "USD", "2026-11-19") == \
        (None, "no USD rate on 2026-11-19; import one with `omnictl fx import`")
    assert rates_for(eur).to_base(None, "USD", "2026-11-19") == (None, None)


def test_conversion_into_a_base_without_minor_digits(db):
    set_setting(db, "company.currency", "JPY", "ana")
    db.execute("INSERT INTO fx_rate (base, currency, on_date, rate) VALUES ('JPY', 'USD', '2026-11-20', '151.37'), "
               "('JPY', 'KWD', '2026-11-20', '492.5')")
    fx = rates_for(db)
    assert fx.to_base(1999, "USD", "2026-11-20") == (3026, None)            # $19.99 × 151.37 = ¥3,025.89
    assert fx.to_base(1250, "KWD", "2026-11-20") == (616, None)             # 1.250 KWD (3 digits) = ¥615.6


def test_conversion_without_a_company_currency_says_so(db):
    amount, warning = rates_for(db).to_base(100, "USD", "2026-11-20")
    assert amount is None and warning.startswith("the company currency is not set")


def test_lookups_are_cached_per_currency_and_date(eur):
    import_rates(eur, FX / "rates_eur.csv", actor="ana")
    fx = rates_for(eur)
    calls = []
    eur.conn.set_trace_callback(calls.append)
    try:
        for _ in range(1000):
            fx.to_base(100, "USD", "2026-11-20")
            fx.to_base(100, "USD", "2026-11-21")
    finally:
        eur.conn.set_trace_callback(None)
    assert len([c for c in calls if "fx_rate" in c]) == 1


# -- the CLI ----------------------------------------------------------------------------------------------

def test_cli_fx_import_and_list(cli):
    result = cli("fx", "import", FX / "rates_eur.csv")
    assert result.code == 2
    assert result.stderr == ("Error: the company currency is not set, so rates have no base; set it first with "
                             "`omnictl config set company.currency EUR` (your currency's code)\n")
    assert cli("config", "set", "company.currency", "EUR").code == 0
    result = cli("fx", "import", FX / "rates_eur.csv")
    assert result.code == 0
    assert result.stdout == ("rates_eur.csv: 6 created, 0 updated, 0 unchanged, 0 rejected of 6 rows (batch 1); "
                             "rates in EUR per unit\n")
    result = cli("fx", "import", FX / "rates_eur.csv", "--json")
    assert result.code == 0 and result.json()["already_imported_as"] == 1
    result = cli("fx", "import", FX / "rates_bad_rows.csv")
    assert result.code == 0
    assert "rejected: row 4, column 'currency': 'US' is not a three-letter currency code such as USD\n" in result.stderr
    listed = cli("fx", "list", "--currency", "USD", "--from", "2026-11-20", "--json").json()
    assert listed == [
        {"currency": "USD", "on_date": "2026-11-20", "rate": "0.9250", "base_currency": "EUR", "batch": 1},
        {"currency": "USD", "on_date": "2026-11-21", "rate": "0.9260", "base_currency": "EUR", "batch": 2}]
    table = cli("fx", "list", "--currency", "JPY")
    assert table.code == 0 and "Exchange rates (EUR per unit)" in table.stdout
    assert [line.split() for line in table.stdout.splitlines()[3:]] == \
        [["JPY", "2026-11-20", "0.006125", "1"], ["JPY", "2026-11-21", "0.006130", "2"]]
    shown = cli("imports", "show", "2", "--json").json()
    assert (shown["kind"], shown["rejected"], shown["rejects"][0]["row"]) == ("fx", 5, 3)


def test_cli_fx_bad_file_and_strict(cli):
    assert cli("config", "set", "company.currency", "EUR").code == 0
    result = cli("fx", "import", FX / "rates_missing_column.csv")
    assert result.code == 2
    assert result.stderr == (f"Error: {FX / 'rates_missing_column.csv'}: missing required column 'rate' for "
                             "exchange rates (expected header: date, currency, rate)\n")
    result = cli("fx", "import", FX / "rates_bad_rows.csv", "--strict")
    assert result.code == 1 and "nothing was written" in result.stderr
    result = cli("fx", "list", "--json")
    assert (result.code, result.json()) == (0, [])
    result = cli("config", "set", "company.currency", "USD")
    assert result.code == 0 and result.stderr == ""                       # no rates stored: nothing to warn of
