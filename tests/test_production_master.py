"""Production master data: calendars, work centers, routings and BOMs (`omnictl master import`)."""

from __future__ import annotations

import sqlite3
from datetime import time

import openpyxl
import pytest

from omnictl.errors import InputFileError, StrictRejects
from omnictl.master import import_master

SKUS = """sku,name,kind
LAMP,Desk lamp,finished
LANTERN,Paper lantern,finished
BASE,Turned base,component
SHADE,Linen shade,component
ARM,Brass arm,component
OAK,Oak board,raw
LINEN,Linen,raw
BRASS,Brass rod,raw
"""

CALENDARS = """calendar,name,kind,weekday,starts,ends,date,work_center,reason
DAY,Day shift,shift,Mon-Fri,08:00,17:00,,,
DAY,,shift,6,8:00,12:00,,,
DAY,,holiday,,,,2026-12-04,,company day
NIGHT,Night shift,shift,周一-周五,22:00,06:00,,,
LONG,Around the clock,shift,Sat-Sun,00:00,24:00,,,
"""

WORK_CENTERS = """work_center,name,units,calendar,ideal_rate,location
LATHE,Wood lathe,1,DAY,1.5,WH
SEW,Sewing,3,DAY,,
PACK,Packing,2,NIGHT,12,WH
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(db, sql, params=()):
    return [tuple(row) for row in db.query(sql, params)]


def load(db, tmp_path, kind, text, **options):
    return import_master(db, kind, write(tmp_path, f"{kind}.csv", text), **options)


@pytest.fixture
def shop(db, tmp_path):
    """SKUs, a location, calendars and work centers in place."""
    load(db, tmp_path, "skus", SKUS)
    load(db, tmp_path, "locations", "location,name\nWH,Workshop\n")
    load(db, tmp_path, "calendars", CALENDARS)
    load(db, tmp_path, "work-centers", WORK_CENTERS)
    return db


def reasons(result):
    return [r.reason for r in result.rejects]


# -- calendars ------------------------------------------------------------------------------

def test_calendar_shifts_weekday_ranges_night_shifts_and_a_holiday(db, tmp_path):
    result = load(db, tmp_path, "calendars", CALENDARS)
    assert (result.created, result.updated, result.removed, result.rejected, result.rows_read) == (14, 0, 0, 0, 5)
    assert rows(db, "SELECT code, name FROM calendar ORDER BY code") == [
        ("DAY", "Day shift"), ("LONG", "Around the clock"), ("NIGHT", "Night shift")]
    assert rows(db, "SELECT weekday, starts, ends FROM calendar_shift WHERE calendar = 'DAY' ORDER BY weekday") == [
        (0, "08:00", "17:00"), (1, "08:00", "17:00"), (2, "08:00", "17:00"), (3, "08:00", "17:00"),
        (4, "08:00", "17:00"), (5, "08:00", "12:00")]                         # 6 = Saturday (Monday = 1)
    assert rows(db, "SELECT weekday, starts, ends FROM calendar_shift WHERE calendar = 'NIGHT'") == \
        [(day, "22:00", "06:00") for day in range(5)]                         # ends the next morning
    assert rows(db, "SELECT weekday, starts, ends FROM calendar_shift WHERE calendar = 'LONG'") == \
        [(5, "00:00", "00:00"), (6, "00:00", "00:00")]                        # 24:00 is midnight
    assert rows(db, "SELECT * FROM calendar_exception") == [("DAY", "2026-12-04", "2026-12-04", None, "company day")]


def test_the_same_calendar_file_twice_changes_nothing(db, tmp_path):
    load(db, tmp_path, "calendars", CALENDARS)
    again = load(db, tmp_path, "calendars", CALENDARS)
    assert (again.created, again.updated, again.removed, again.rejected) == (0, 0, 0, 0)
    assert db.scalar("SELECT count(*) FROM calendar_shift") == 13


def test_a_calendar_file_replaces_the_shifts_of_the_calendars_it_names(db, tmp_path):
    load(db, tmp_path, "calendars", CALENDARS)
    result = load(db, tmp_path, "calendars", "calendar,weekday,starts,ends\nDAY,Mon-Thu,07:30,17:00\n")
    assert (result.created, result.updated, result.removed) == (4, 0, 6)    # shifts are keyed by weekday and start
    assert rows(db, "SELECT weekday, starts, ends FROM calendar_shift WHERE calendar = 'DAY'") == [
        (0, "07:30", "17:00"), (1, "07:30", "17:00"), (2, "07:30", "17:00"), (3, "07:30", "17:00")]
    assert db.scalar("SELECT count(*) FROM calendar_shift WHERE calendar = 'NIGHT'") == 5    # not named: kept
    assert db.scalar("SELECT count(*) FROM calendar_exception") == 1           # no holiday rows: kept
    assert rows(db, "SELECT name FROM calendar WHERE code = 'DAY'") == [("Day shift",)]


def test_weekday_spellings(db, tmp_path):
    result = load(db, tmp_path, "calendars",
                  "日历,星期,开始时间,结束时间\n"
                  "A,星期六,09:00,12:00\nB,\"Mon,Wed\",09:00,12:00\nC,Fri-Mon,09:00,12:00\n"
                  "D,7,09:00,12:00\nE,周日,09:00,12:00\nF,Tuesday,09:00:00,12:00:00\n")
    assert result.rejected == 0
    assert rows(db, "SELECT calendar, group_concat(weekday) FROM calendar_shift GROUP BY calendar ORDER BY calendar") \
        == [("A", "5"), ("B", "0,2"), ("C", "0,4,5,6"), ("D", "6"), ("E", "6"), ("F", "1")]
    assert rows(db, "SELECT starts, ends FROM calendar_shift WHERE calendar = 'F'") == [("09:00", "12:00")]


def test_holidays_and_downtime_replace_their_own_kind(shop, tmp_path):
    result = load(shop, tmp_path, "calendars",
                  "calendar,kind,starts,ends,work_center,reason\n"
                  "DAY,downtime,2026-11-27 13:00,2026-11-27 17:00,LATHE,bearing\n"
                  "DAY,假日,2026/12/1,2026/12/2,,roof repair\n"
                  "DAY,holiday,2026-12-03 12:00,2026-12-03 17:00,,meeting\n"
                  "NIGHT,停机,2026-11-30 08:00,2026-11-30 10:00,PACK,\n")
    assert (result.created, result.updated, result.removed, result.rejected) == (4, 0, 1, 0)
    # DAY's holidays are the file's now (2026-12-04 is gone); each work center's downtime is its own
    assert rows(shop, "SELECT * FROM calendar_exception ORDER BY calendar, starts") == [
        ("DAY", "2026-11-27T13:00", "2026-11-27T17:00", "LATHE", "bearing"),
        ("DAY", "2026-12-01", "2026-12-02", None, "roof repair"),
        ("DAY", "2026-12-03T12:00", "2026-12-03T17:00", None, "meeting"),
        ("NIGHT", "2026-11-30T08:00", "2026-11-30T10:00", "PACK", None)]
    assert rows(shop, "SELECT count(*) FROM calendar_shift") == [(13,)]       # no shift rows: shifts kept
    later = load(shop, tmp_path, "calendars", "calendar,kind,starts,ends,work_center\n"
                                              "DAY,downtime,2026-12-08,2026-12-08,LATHE\n")
    assert (later.created, later.removed) == (1, 1)
    assert rows(shop, "SELECT starts, ends FROM calendar_exception WHERE work_center = 'LATHE'") == [
        ("2026-12-08", "2026-12-08")]
    assert db_count(shop, "calendar_exception WHERE work_center IS NULL") == 2


def db_count(db, where):
    return db.scalar(f"SELECT count(*) FROM {where}")


def test_calendar_rows_are_checked_and_a_calendar_is_taken_whole(shop, tmp_path):
    result = load(shop, tmp_path, "calendars",
                  "calendar,kind,weekday,starts,ends,date,work_center\n"
                  "X1,shift,Mon,25:00,17:00,,\n"                                   # 2
                  "X2,shift,Funday,08:00,17:00,,\n"                                # 3
                  "X3,downtime,,2026-12-01 08:00,,,LATHE\n"                        # 4
                  "DAY,downtime,,2026-12-01 08:00,2026-12-01 12:00,,KILN\n"        # 5
                  "NIGHT,downtime,,2026-12-01 08:00,2026-12-01 12:00,,LATHE\n"     # 6
                  "X4,holiday,,,,2026-12-04,LATHE\n"                               # 7
                  "X5,shift,Mon,08:00,17:00,,\n"                                   # 8
                  "X5,shift,Mon,16:00,20:00,,\n"                                   # 9
                  "X6,shift,Tue,08:00,08:00,,\n"                                   # 10
                  "X7,holiday,,2026-12-05,2026-12-04,,\n"                          # 11
                  "X8,gala,,,,,\n"                                                 # 12
                  "X9,holiday,,,,2026-02-30,\n")                                   # 13
    assert (result.created, result.rejected) == (0, 12)
    assert reasons(result) == [
        "row 2, column 'starts': '25:00' is not a time of day HH:MM",
        "row 3, column 'weekday': 'Funday' is not a weekday (Mon … Sun, 1 … 7 with Monday = 1, 周一 … 周日) "
        "or a range of them such as Mon-Fri",
        "row 4, column 'ends': is empty; a downtime row needs it",
        "row 5, column 'work_center': no work center 'KILN' (`omnictl master import work-centers FILE` adds it)",
        "row 6, column 'calendar': work center 'LATHE' works to calendar 'DAY', not 'NIGHT'",
        "row 7, column 'work_center': a holiday closes the whole calendar; planned downtime of one work center "
        "is kind downtime",
        "row 8: not imported because row 9 of the same calendar (X5) was rejected; a calendar is taken whole "
        "or not at all",
        "row 9, column 'starts': Mon 16:00–20:00 overlaps the shift Mon 08:00–17:00 on row 8",
        "row 10, column 'ends': the shift starts and ends at 08:00; write a 24-hour shift as 00:00 to 24:00",
        "row 11, column 'ends': 2026-12-04 is before 2026-12-05",
        "row 12, column 'kind': 'gala' is not one of shift, holiday, downtime",
        "row 13, column 'date': '2026-02-30' is not a date YYYY-MM-DD or a date-time YYYY-MM-DD HH:MM"]
    assert [r.field for r in result.rejects][:3] == ["starts", None, "ends"]
    assert rows(shop, "SELECT count(*) FROM calendar") == [(3,)]


def test_a_night_shift_overlapping_the_next_morning_is_refused(db, tmp_path):
    result = load(db, tmp_path, "calendars", "calendar,weekday,starts,ends\nN,Sun,22:00,06:00\nN,Mon,05:00,09:00\n")
    assert reasons(result)[1] == "row 3, column 'starts': Mon 05:00–09:00 overlaps the shift Sun 22:00–06:00 on row 2"


def test_calendar_times_from_an_xlsx_sheet(db, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日历", "类型", "星期", "开始", "结束", "日期", "原因"])
    sheet.append(["DAY", "班次", "周一-周五", time(8, 0), time(17, 30), None, None])
    sheet.append(["DAY", "假日", None, None, None, "2026-12-04", "厂庆日"])
    path = tmp_path / "calendars.xlsx"
    book.save(path)
    result = import_master(db, "calendars", path)
    assert (result.created, result.rejected) == (6, 0)
    assert rows(db, "SELECT DISTINCT starts, ends FROM calendar_shift") == [("08:00", "17:30")]
    assert rows(db, "SELECT starts, reason FROM calendar_exception") == [("2026-12-04", "厂庆日")]


# -- work centers ---------------------------------------------------------------------------

def test_work_centers_with_units_calendar_rate_and_location(shop):
    assert rows(shop, "SELECT code, name, units, calendar, ideal_rate, location FROM work_center ORDER BY code") == [
        ("LATHE", "Wood lathe", 1, "DAY", 1.5, "WH"), ("PACK", "Packing", 2, "NIGHT", 12.0, "WH"),
        ("SEW", "Sewing", 3, "DAY", None, None)]


def test_work_center_rejects_name_row_and_value(shop, tmp_path):
    result = load(shop, tmp_path, "work-centers",
                  "工作中心,名称,台数,日历,理论产能,地点\n"
                  "LATHE,Wood lathe,2,DAY,1.5,WH\n"
                  "KILN,Kiln,1,WEEKEND,,\n"
                  "SAW,Saw,0,DAY,,\n"
                  "DRILL,Drill,1,DAY,,SHED\n"
                  "GLUE,Gluing,2.5,DAY,,\n")
    assert (result.created, result.updated, result.rejected) == (0, 1, 4)
    assert reasons(result) == [
        "row 3, column '日历': no calendar 'WEEKEND' (`omnictl master import calendars FILE` adds it)",
        "row 4, column '台数': '0' is not a whole number of 1 or more",
        "row 5, column '地点': no location 'SHED'",
        "row 6, column '台数': '2.5' is not a whole number of 1 or more"]
    assert rows(shop, "SELECT units FROM work_center WHERE code = 'LATHE'") == [(2,)]


# -- routings -------------------------------------------------------------------------------

ROUTINGS = """sku,seq,work_center,name,setup_min,run_min,alternatives
BASE,10,LATHE,Turn,30,40,
BASE,20,SEW,Sand,10,12,PACK
LAMP,10,SEW,Assemble,10,20,"PACK,LATHE"
LAMP,20,PACK,Pack,5,5,
"""


def test_routings_store_steps_in_sequence(shop, tmp_path):
    result = load(shop, tmp_path, "routings", ROUTINGS)
    assert (result.created, result.updated, result.removed, result.rejected) == (4, 0, 0, 0)
    assert rows(shop, "SELECT * FROM routing_step ORDER BY sku, seq") == [
        ("BASE", 10, "LATHE", "Turn", 30.0, 40.0, None), ("BASE", 20, "SEW", "Sand", 10.0, 12.0, "PACK"),
        ("LAMP", 10, "SEW", "Assemble", 10.0, 20.0, "PACK,LATHE"), ("LAMP", 20, "PACK", "Pack", 5.0, 5.0, None)]


def test_a_routing_reimport_replaces_that_skus_steps_only(shop, tmp_path):
    load(shop, tmp_path, "routings", ROUTINGS)
    again = load(shop, tmp_path, "routings", ROUTINGS)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    result = load(shop, tmp_path, "routings",
                  "物料,工序号,工作中心,工序,准备时间,单件工时\n"
                  "LAMP,10,SEW,Assemble and test,10,25\n"
                  "LAMP,15,LATHE,Drill,0,3\n")
    assert (result.created, result.updated, result.removed) == (1, 1, 1)
    assert rows(shop, "SELECT sku, seq, work_center, name, run_min FROM routing_step ORDER BY sku, seq") == [
        ("BASE", 10, "LATHE", "Turn", 40.0), ("BASE", 20, "SEW", "Sand", 12.0),
        ("LAMP", 10, "SEW", "Assemble and test", 25.0), ("LAMP", 15, "LATHE", "Drill", 3.0)]


def test_routing_rejects_name_row_and_value_and_keep_the_old_routing(shop, tmp_path):
    load(shop, tmp_path, "routings", ROUTINGS)
    result = load(shop, tmp_path, "routings",
                  "sku,seq,work_center,setup_min,run_min,alternatives\n"
                  "GHOST,10,LATHE,0,1,\n"                          # 2
                  "LAMP,10,SEW,0,30,\n"                            # 3: dragged down by row 4
                  "LAMP,20,KILN,0,5,\n"                            # 4
                  "BASE,10,LATHE,0,35,\n"                          # 5: dragged down by row 6
                  "BASE,10,SEW,0,5,\n"                             # 6
                  "ARM,10,LATHE,x,5,\n"                            # 7
                  "ARM,20,SEW,0,5,ROBOT\n"                         # 8
                  "SHADE,0,SEW,0,5,\n"                             # 9
                  "LANTERN,10,PACK,0,4,PACK\n")                    # 10: its own work center is no alternative
    assert (result.created, result.rejected) == (1, 8)
    assert reasons(result) == [
        "row 2, column 'sku': no master SKU 'GHOST'",
        "row 3: not imported because row 4 of the same routing (LAMP) was rejected; a routing is taken whole "
        "or not at all",
        "row 4, column 'work_center': no work center 'KILN' (`omnictl master import work-centers FILE` adds it)",
        "row 5: not imported because row 6 of the same routing (BASE) was rejected; a routing is taken whole "
        "or not at all",
        "row 6, column 'seq': step 10 of BASE is already given on row 5",
        "row 7, column 'setup_min': 'x' is not a number",
        "row 8, column 'alternatives': no work center 'ROBOT'",
        "row 9, column 'seq': '0' is not a step number (a whole number of 1 or more)"]
    assert rows(shop, "SELECT sku, seq, run_min, alternatives FROM routing_step ORDER BY sku, seq") == [
        ("BASE", 10, 40.0, None), ("BASE", 20, 12.0, "PACK"), ("LAMP", 10, 20.0, "PACK,LATHE"),
        ("LAMP", 20, 5.0, None), ("LANTERN", 10, 4.0, None)]
    assert rows(shop, "SELECT row_no, field FROM import_reject WHERE row_no IN (2, 4)") == [
        (2, "sku"), (4, "work_center")]


def test_a_routing_needs_run_minutes(shop, tmp_path):
    with pytest.raises(InputFileError, match="missing required column 'run_min' for routings"):
        load(shop, tmp_path, "routings", "sku,seq,work_center\nLAMP,10,SEW\n")


# -- BOMs -----------------------------------------------------------------------------------

BOMS = """parent,component,quantity,scrap_pct
LAMP,BASE,1,
LAMP,SHADE,1,
LAMP,ARM,1,
BASE,OAK,0.06,8%
SHADE,LINEN,0.5,5
ARM,BRASS,0.6,3 %
LAMP,BRASS,0.1,
"""


def test_boms_with_scrap_as_percent_and_a_component_at_two_levels(shop, tmp_path):
    result = load(shop, tmp_path, "boms", BOMS)
    assert (result.created, result.rejected) == (7, 0)
    assert rows(shop, "SELECT parent, component, quantity, scrap_pct FROM bom_line ORDER BY parent, component") == [
        ("ARM", "BRASS", 0.6, 3.0), ("BASE", "OAK", 0.06, 8.0), ("LAMP", "ARM", 1.0, 0.0), ("LAMP", "BASE", 1.0, 0.0),
        ("LAMP", "BRASS", 0.1, 0.0), ("LAMP", "SHADE", 1.0, 0.0), ("SHADE", "LINEN", 0.5, 5.0)]


def test_a_bom_reimport_replaces_each_parents_lines(shop, tmp_path):
    load(shop, tmp_path, "boms", BOMS)
    result = load(shop, tmp_path, "boms", "父项,物料,用量,损耗率\nLAMP,BASE,1,\nLAMP,SHADE,2,\n")
    assert (result.created, result.updated, result.removed) == (0, 1, 2)
    assert rows(shop, "SELECT parent, component, quantity FROM bom_line ORDER BY parent, component") == [
        ("ARM", "BRASS", 0.6), ("BASE", "OAK", 0.06), ("LAMP", "BASE", 1.0), ("LAMP", "SHADE", 2.0),
        ("SHADE", "LINEN", 0.5)]


def test_bom_rejects_name_row_and_value(shop, tmp_path):
    result = load(shop, tmp_path, "boms",
                  "parent,component,quantity,scrap_pct\n"
                  "LAMP,BASE,1,\n"
                  "LAMP,GHOST,1,\n"
                  "LANTERN,LINEN,0,\n"
                  "BASE,OAK,0.06,120%\n"
                  "SHADE,LINEN,1,\n"
                  "SHADE,LINEN,2,\n")
    assert (result.created, result.rejected) == (0, 6)
    assert reasons(result) == [
        "row 2: not imported because row 3 of the same BOM (LAMP) was rejected; a BOM is taken whole or not at all",
        "row 3, column 'component': no master SKU 'GHOST'",
        "row 4, column 'quantity': '0' is not more than 0",
        "row 5, column 'scrap_pct': '120%' is not a scrap percentage from 0 to under 100",
        "row 6: not imported because row 7 of the same BOM (SHADE) was rejected; a BOM is taken whole or not at all",
        "row 7, column 'component': LINEN in SHADE is already given on row 6"]


@pytest.mark.parametrize("text, message", [
    ("parent,component,quantity\nLAMP,BASE,1\nBASE,LAMP,2\n",
     "BOM cycle LAMP → BASE → LAMP (row 2, row 3)"),
    ("parent,component,quantity\nLAMP,LAMP,1\n",
     "BOM cycle LAMP → LAMP (row 2)"),
    ("parent,component,quantity\nLAMP,BASE,1\nSHADE,LINEN,1\nBASE,ARM,1\nARM,LAMP,1\n",
     "BOM cycle LAMP → BASE → ARM → LAMP (row 2, row 4, row 5)"),
])
def test_a_bom_cycle_refuses_the_file(shop, tmp_path, text, message):
    with pytest.raises(InputFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(shop, tmp_path, "boms", text)
    assert rows(shop, "SELECT count(*) FROM bom_line") == [(0,)]
    assert rows(shop, "SELECT count(*) FROM import_batch WHERE kind = 'master:boms'") == [(0,)]


def test_a_cycle_closed_through_stored_lines(shop, tmp_path):
    load(shop, tmp_path, "boms", BOMS)                    # LAMP → ARM → BRASS stored
    with pytest.raises(InputFileError) as caught:
        load(shop, tmp_path, "boms", "parent,component,quantity\nBRASS,LAMP,1\n")
    assert str(caught.value).endswith(
        "BOM cycle BRASS → LAMP → ARM → BRASS (row 2, the stored line LAMP → ARM, the stored line ARM → BRASS): "
        "a SKU cannot contain itself; nothing was written")
    # a file that replaces the stored line closing the loop is no cycle
    result = load(shop, tmp_path, "boms", "parent,component,quantity\nBRASS,LAMP,1\nLAMP,BASE,1\n")
    assert (result.created, result.removed, result.rejected) == (1, 3, 0)


# -- the command ----------------------------------------------------------------------------

def db_rows(db_path, sql):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_cli_exit_codes(cli, db_path, tmp_path):
    assert cli("master", "import", "skus", write(tmp_path, "skus.csv", SKUS)).code == 0
    assert cli("master", "import", "calendars", write(tmp_path, "c.csv", CALENDARS)).code == 0
    result = cli("master", "import", "work-centers", write(tmp_path, "w.csv", WORK_CENTERS.replace(",WH", ",")))
    assert result.code == 0 and result.stdout.startswith("work-centers: 3 created, 0 updated, 0 rejected of 3 rows")

    cycle = write(tmp_path, "boms.csv", "parent,component,quantity\nLAMP,BASE,1\nBASE,LAMP,1\n")
    result = cli("master", "import", "boms", cycle)
    assert result.code == 2
    assert result.stderr.strip() == (f"Error: {cycle}: BOM cycle LAMP → BASE → LAMP (row 2, row 3): a SKU cannot "
                                     "contain itself; nothing was written")
    assert db_rows(db_path, "SELECT count(*) FROM import_batch WHERE kind = 'master:boms'") == [(0,)]

    routing = write(tmp_path, "r.csv", "sku,seq,work_center,run_min\nLAMP,10,SEW,20\nLAMP,20,KILN,5\nBASE,10,LATHE,40\n")
    result = cli("master", "import", "routings", routing, "--strict")
    assert result.code == 1 and "2 row(s) rejected under --strict" in result.stderr
    assert db_rows(db_path, "SELECT count(*) FROM routing_step") == [(0,)]
    result = cli("master", "import", "routings", routing, "--json")
    assert result.code == 0
    report = result.json()
    assert (report["created"], report["rejected"], report["removed"]) == (1, 2, 0)
    assert report["rejects"][1]["reason"] == ("row 3, column 'work_center': no work center 'KILN' "
                                              "(`omnictl master import work-centers FILE` adds it)")
    shorter = write(tmp_path, "r2.csv", "sku,seq,work_center,run_min\nBASE,20,SEW,5\n")
    result = cli("master", "import", "routings", shorter)
    assert result.code == 0 and result.stdout.startswith("routings: 1 created, 0 updated, 1 removed, 0 rejected")
    assert cli("master", "import", "routings", routing, "--dry-run").code == 0
    assert db_rows(db_path, "SELECT sku, seq FROM routing_step") == [("BASE", 20)]
    result = cli("master", "import", "work_centres", routing)
    assert result.code == 2 and "unknown master data kind 'work_centres'" in result.stderr


def test_strict_rolls_back_a_calendar(db, tmp_path):
    with pytest.raises(StrictRejects):
        load(db, tmp_path, "calendars", "calendar,weekday,starts,ends\nDAY,Mon,08:00,17:00\nNIGHT,Mon,8,17:00\n",
             strict=True)
    assert rows(db, "SELECT count(*) FROM calendar") == [(0,)]
