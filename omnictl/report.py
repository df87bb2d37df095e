"""The daily close as a Markdown report, in English or Simplified Chinese.

Deterministic: the same close (same data, same clock) gives the same bytes, so two days'
reports can be diffed. Labels follow the glossary in DESIGN.md (日清日结, 异常, 三要素,
T-3 预警, 升级); the findings themselves are the close's sentences, as stored.
"""

from __future__ import annotations

from omnictl.close import CloseReport
from omnictl.errors import UsageError

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
        "kpis": "KPIs", "kpi": "KPI", "value": "value",
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
        "kpis": "关键指标 (KPI)", "kpi": "指标", "value": "数值",
        "status_words": {"ok": "正常", "warn": "警告", "fail": "失败"},
        "check_names": {"channels": "渠道数据", "production": "生产进度", "consumption": "物料消耗", "stock": "库存",
                        "t3": "T-3 预警", "escalation": "升级"},
        "exception_status": {"open": "待处理", "acted": "已采取措施", "resolved": "已解决", "redated": "已改期",
                             "cleared": "已消除"},
        "forced": "T-3，强制闭环",
    },
}


def _cell(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _kpi_lines(kpis: dict, t: dict) -> list[str]:
    """KPIs as a flat table of name and value (nested values by dotted name, lists by count)."""
    rows = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key in value:
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif isinstance(value, list):
            rows.append([prefix, ", ".join(_cell(v) for v in value) if all(not isinstance(v, (dict, list))
                                                                           for v in value) else f"{len(value)} rows"])
        elif isinstance(value, float):
            rows.append([prefix, f"{value:.4g}"])
        else:
            rows.append([prefix, "" if value is None else value])

    walk("", kpis)
    return _table([t["kpi"], t["value"]], rows)


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
        lines += [f"- {_cell(d)}" for d in c.details] or [f"- {t['nothing']}"]
    lines += ["", f"## {t['exceptions']}", ""]
    if report.exceptions:
        rows = []
        for e in report.exceptions:
            status = t["exception_status"].get(e.status, e.status)
            if e.forced:
                status += f" ({t['forced']})"
            action = (e.action or "") + (f", {t['redated'].format(date=e.new_date)}" if e.new_date else "")
            rows.append([e.id, names.get(e.check, e.check), status, e.standard,
                         t["constraint_text"].format(deadline=e.deadline, level=e.level, role=e.level_role),
                         e.owner, e.finding, action])
        lines += _table([t["id"], t["check"], t["status"], t["standard"], t["constraint"], t["owner"], t["finding"],
                         t["action"]], rows)
    else:
        lines.append(t["no_exceptions"])
    if report.kpis:
        lines += ["", f"## {t['kpis']}", ""] + _kpi_lines(report.kpis, t)
    return "\n".join(lines) + "\n"
