"""The daily close as a Markdown report, in English or Simplified Chinese.

Deterministic: the same close (same data, same clock) gives the same bytes, so two days'
reports can be diffed. Labels follow the glossary in DESIGN.md (日清日结, 异常, 三要素,
T-3 预警, 升级); the findings are the close's sentences, in Chinese from their stored messages
(omnictl.messages; a close stored before them keeps its English sentences).
"""

from __future__ import annotations

from omnictl.close import CloseReport
from omnictl.errors import UsageError
from omnictl.files import safe_cell
from omnictl.messages import render

LANGS = ("en", "zh")

LABELS = {
    "en": {
        "title": "Daily close {date}: {status}",
        "meta": "{company}run at {ran_at} by {actor}",
        "summary": "{failing} check(s) failing, {warning} warning; {open} open exception(s), {opened} opened, "
                   "{escalated} escalated, {cleared} cleared by this close",
        "checks": "Checks", "check": "check", "status": "status", "owner": "owner", "findings": "findings",
        "nothing": "nothing found",
        "exceptions": "Exceptions (three elements: standard, constraint, owner)",
        "no_exceptions": "No open exceptions.",
        "id": "#", "standard": "standard", "constraint": "constraint", "finding": "finding", "action": "action",
        "constraint_text": "by {deadline}, level {level} ({role})",
        "redated": "re-dated to {date}",
        "kpis": "KPIs", "kpi": "KPI", "value": "value", "target": "target", "notes": "notes",
        "kpi_names": {"on_time_delivery": "on-time delivery", "on_time_to_customer": "on-time to the customer",
                      "oee": "OEE", "turnover_days": "inventory turnover days"},
        "kpi_status": {"ok": "ok", "below target": "below target", "outside band": "outside band", "n/a": "n/a"},
        "oee_by_center": "OEE by work center", "work_center": "work center", "availability": "availability",
        "performance": "performance", "quality": "quality", "downtime": "downtime by reason",
        "trend": "{days}-day trend", "day": "day",
        "status_words": {"ok": "OK", "warn": "WARN", "fail": "FAIL"},
        "check_names": {"channels": "channels", "production": "production progress", "consumption":
                        "material consumption", "stock": "stock", "t3": "T-3 warning", "escalation": "escalation"},
        "exception_status": {"open": "open", "acted": "acted", "resolved": "resolved", "redated": "re-dated",
                             "cleared": "cleared"},
        "forced": "T-3, forced closed loop",
    },
    "zh": {
        "title": "日清日结 {date}：{status}",
        "meta": "{company}运行于 {ran_at}，执行人 {actor}",
        "summary": "{failing} 项检查失败，{warning} 项警告；未关闭异常 {open} 项，本次新开 {opened} 项，升级 {escalated} 项，"
                   "消除 {cleared} 项",
        "checks": "检查项", "check": "检查", "status": "状态", "owner": "责任主体", "findings": "发现",
        "nothing": "未发现问题",
        "exceptions": "异常（三要素：工作标准、制约机制、责任主体）",
        "no_exceptions": "没有未关闭的异常。",
        "id": "编号", "standard": "工作标准", "constraint": "制约机制", "finding": "发现", "action": "措施",
        "constraint_text": "{deadline} 前，第 {level} 级（{role}）",
        "redated": "改期至 {date}",
        "kpis": "关键指标 (KPI)", "kpi": "指标", "value": "数值", "target": "目标", "notes": "说明",
        "kpi_names": {"on_time_delivery": "准时交付率", "on_time_to_customer": "客户准时交付率",
                      "oee": "设备综合效率 (OEE)", "turnover_days": "库存周转天数"},
        "kpi_status": {"ok": "达标", "below target": "未达标", "outside band": "超出范围", "n/a": "无数据"},
        "oee_by_center": "各工作中心设备综合效率", "work_center": "工作中心", "availability": "时间开动率",
        "performance": "性能开动率", "quality": "合格品率", "downtime": "停机原因",
        "trend": "近 {days} 天趋势", "day": "日期", "units": {"days": "天"},
        "status_words": {"ok": "正常", "warn": "警告", "fail": "失败"},
        "check_names": {"channels": "渠道数据", "production": "生产进度", "consumption": "物料消耗", "stock": "库存",
                        "t3": "T-3 预警", "escalation": "升级"},
        "exception_status": {"open": "待处理", "acted": "已采取措施", "resolved": "已解决", "redated": "已改期",
                             "cleared": "已消除"},
        "forced": "T-3，强制闭环",
    },
}


def _cell(text) -> str:
    """A table cell or list item: safe from spreadsheet formulas (a report's numbers are never negative)."""
    return safe_cell(str(text if text is not None else "")).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


KPI_ORDER = ("on_time_delivery", "on_time_to_customer", "oee", "turnover_days")


def _number(value, unit: str = "", units: dict | None = None) -> str:
    if value is None:
        return "–"
    text = f"{value:,.1f}" if isinstance(value, float) else str(value)
    unit = (units or {}).get(unit, unit)
    return text + (unit if unit in ("%", "天") else f" {unit}" if unit else "")


def _kpi_lines(kpis: dict, t: dict) -> list[str]:
    """The day's KPIs against their targets, OEE per work center, and the 30-day trend."""
    words = t["kpi_names"]
    units = t.get("units")
    rows = [[words.get(name, name), _number(f.get("value"), f.get("unit", ""), units),
             _number(f.get("target"), f.get("unit", ""), units),
             t["kpi_status"].get(f.get("status"), f.get("status")), "; ".join(f.get("notes") or [])]
            for name in KPI_ORDER if isinstance(f := kpis.get(name), dict)]
    lines = _table([t["kpi"], t["value"], t["target"], t["status"], t["notes"]], rows)
    centers = kpis.get("oee_by_work_center") or []
    if centers:
        lines += ["", f"### {t['oee_by_center']}", ""]
        lines += _table([t["work_center"], "OEE", t["availability"], t["performance"], t["quality"], t["downtime"]],
                        [[c["work_center"], _number(c.get("oee_pct"), "%"), _number(c.get("availability_pct"), "%"),
                          _number(c.get("performance_pct"), "%"), _number(c.get("quality_pct"), "%"),
                          "; ".join(f"{reason} {_number(minutes)} min" for reason, minutes in
                                    (c.get("downtime_by_reason") or {}).items())] for c in centers])
    trend = kpis.get("trend") or []
    if trend:
        lines += ["", f"### {t['trend'].format(days=len(trend))}", ""]
        lines += _table([t["day"], words["on_time_delivery"], words["oee"], words["turnover_days"]],
                        [[d["day"], _number(d.get("on_time_delivery_pct"), "%"), _number(d.get("oee_pct"), "%"),
                          _number(d.get("turnover_days"))] for d in trend])
    return lines


def close_markdown(report: CloseReport, lang: str = "en") -> str:
    """The close of one day as Markdown; `lang` is en or zh."""
    if lang not in LANGS:
        raise UsageError(f"--lang '{lang}' is not one of {', '.join(LANGS)}")
    t = LABELS[lang]
    words, names = t["status_words"], t["check_names"]
    open_exceptions = [e for e in report.exceptions if e.is_open]
    lines = [f"# {t['title'].format(date=report.date, status=words[report.status])}", "",
             t["meta"].format(company=f"{report.company} · " if report.company else "", ran_at=report.ran_at,
                              actor=report.actor), "",
             t["summary"].format(failing=sum(c.status == "fail" for c in report.checks),
                                 warning=sum(c.status == "warn" for c in report.checks), open=len(open_exceptions),
                                 opened=report.opened, escalated=report.escalated, cleared=report.cleared), "",
             f"## {t['checks']}", ""]
    lines += _table([t["check"], t["status"], t["owner"], t["findings"]],
                    [[names.get(c.name, c.name), words[c.status], c.owner, len(c.exceptions)]
                     for c in report.checks])
    for c in report.checks:
        lines += ["", f"### {names.get(c.name, c.name)}: {words[c.status]}", ""]
        lines += [f"- {_cell(d)}" for d in c.details_in(lang)] or [f"- {t['nothing']}"]
    lines += ["", f"## {t['exceptions']}", ""]
    if report.exceptions:
        rows = []
        for e in report.exceptions:
            status = t["exception_status"].get(e.status, e.status)
            if e.forced:
                status += f" ({t['forced']})"
            action = (e.action or "") + (f", {t['redated'].format(date=e.new_date)}" if e.new_date else "")
            rows.append([e.id, names.get(e.check, e.check), status, render(e.standard_msg, lang, e.standard),
                         t["constraint_text"].format(deadline=e.deadline, level=e.level, role=e.level_role),
                         e.owner, render(e.finding_msg, lang, e.finding), action])
        lines += _table([t["id"], t["check"], t["status"], t["standard"], t["constraint"], t["owner"], t["finding"],
                         t["action"]], rows)
    else:
        lines.append(t["no_exceptions"])
    if report.kpis:
        lines += ["", f"## {t['kpis']}", ""] + _kpi_lines(report.kpis, t)
    return "\n".join(lines) + "\n"
