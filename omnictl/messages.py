"""The close's sentences in English and Simplified Chinese.

A finding (or a check's detail line) is stored as its English text, as always, and beside it
as a message: a template key and its values, `{"key": "stock.oversold", "args": {...}}`, so the
console and the Markdown report can show it in the reader's language. Values are language
neutral: numbers, codes, dates, names. Templates are `str.format` strings with three extras:
- a number is written as a quantity (`3`, `2.5`);
- `{count:noun}` is a counted noun in English (`1 operation`, `2 operations`) and the bare
  number in Chinese, whose template carries its own measure word;
- `{value:word}` is a word of the vocabulary below (a status, an action), translated;
- a value that is a list of messages is written as each of them, joined by commas.
"""

from __future__ import annotations

import re
import string

from omnictl.values import quantity_text

LANGS = ("en", "zh")

TEMPLATES: dict[str, tuple[str, str]] = {
    # channels
    "channels.fresh_std": ("every active channel that sends daily files has an import after the end of {day}",
                           "每个按日发送文件的在用渠道在 {day} 结束后都有导入"),
    "channels.stale": ("{channel}: no import after the end of {day} (latest {latest})",
                       "{channel}: {day} 结束后没有导入 (最近一次 {latest})"),
    "channels.never": ("{channel}: no import after the end of {day} (never imported)",
                       "{channel}: {day} 结束后没有导入 (从未导入)"),
    "channels.rejects_std": ("a channel's latest export imports whole: 0 rejected rows",
                             "渠道最近一次导出完整导入: 0 行被拒绝"),
    "channels.rejects": ("{channel}: its latest import (batch {batch}, {file}) rejected {rejected} row(s); "
                         "`omnictl imports show {batch}`",
                         "{channel}: 最近一次导入 (批次 {batch}, {file}) 拒绝了 {rejected} 行; "
                         "`omnictl imports show {batch}`"),
    "channels.unmapped_std": ("every SKU a channel sells maps to a master SKU: 0 unmapped lines",
                              "渠道所售每个 SKU 都映射到主数据 SKU: 0 行未映射"),
    "channels.unmapped": ("{channel}: {lines} line(s), {qty} unit(s) of '{external}' map to no master SKU; "
                          "`omnictl skus map {channel} {external} SKU`",
                          "{channel}: '{external}' 的 {lines} 行、{qty} 件未映射到主数据 SKU; "
                          "`omnictl skus map {channel} {external} SKU`"),
    # production progress
    "production.std": ("{order} operation {seq} ({center}, {qty} × {sku}) done by {end}: {qty} good",
                       "{order} 工序 {seq} ({center}, {qty} × {sku}) 在 {end} 前完成: 良品 {qty}"),
    "production.behind": ("{order} operation {seq} ({center}, {qty} × {sku}): {done} done, {behind} behind, "
                          "{hours:.1f} h of work left",
                          "{order} 工序 {seq} ({center}, {qty} × {sku}): 已完成 {done}, 落后 {behind}, "
                          "剩余 {hours:.1f} 小时工作量"),
    "production.center": ("{center}: {operations:operation} behind plan, {units:unit}, {hours:.1f} h",
                          "{center}: {operations} 道工序落后计划, {units} 件, {hours:.1f} 小时"),
    # material consumption
    "consumption.none": ("no production reports or material issues dated {day}", "{day} 没有报工或领料"),
    "consumption.ok": ("{orders} order(s) with reports or issues on {day}: consumption within {tolerance}% of "
                       "standard", "{day} 有报工或领料的工单 {orders} 个: 消耗均在标准的 {tolerance}% 以内"),
    "consumption.std": ("{order} ({sku}): {made} good × {per} {component} + {scrap}% scrap = {standard}, within "
                        "{tolerance}%", "{order} ({sku}): 良品 {made} × {per} {component} + {scrap}% 损耗 = {standard}, "
                        "允差 {tolerance}%"),
    "consumption.not_in_bom_std": ("{order} ({sku}): {component} is not in its bill of materials: 0",
                                   "{order} ({sku}): {component} 不在其物料清单中: 0"),
    "consumption.over": ("{order} {component}: issued {actual} against a standard of {standard}: {gap} over{share}",
                         "{order} {component}: 领料 {actual}, 标准 {standard}: 超出 {gap}{share}"),
    "consumption.under": ("{order} {component}: issued {actual} against a standard of {standard}: {gap} under"
                          "{share}", "{order} {component}: 领料 {actual}, 标准 {standard}: 不足 {gap}{share}"),
    # stock
    "stock.negative_std": ("{sku} at {location}: on hand 0 or more", "{location} 的 {sku}: 在库不小于 0"),
    "stock.negative": ("{sku} at {location}: on hand {on_hand}", "{location} 的 {sku}: 在库 {on_hand}"),
    "stock.oversold_std": ("{sku} at {location}: available to promise 0 or more", "{location} 的 {sku}: 可承诺量不小于 0"),
    "stock.oversold": ("{sku} at {location}: on hand {on_hand}, reserved {reserved}, ATP {atp} (oversold)",
                       "{location} 的 {sku}: 在库 {on_hand}, 已预留 {reserved}, 可承诺 {atp} (超卖)"),
    "stock.count_std": ("a count that differs from the book is applied or explained", "与账面不符的盘点已过账或已说明"),
    "stock.count": ("count {count} of {location} ({file}, counted {at}) differs from the book on {skus} SKU(s) and "
                    "is not applied; `omnictl reconcile count ... --apply`",
                    "{location} 的盘点 {count} ({file}, 盘点于 {at}) 有 {skus} 个 SKU 与账面不符且未过账; "
                    "`omnictl reconcile count ... --apply`"),
    # T-3
    "t3.std": ("T-{days}: the work for a sales line is finished {days} days before its ship-by date, or stock is "
               "behind it", "T-{days}: 销售行的生产在承诺发货日前 {days} 天完成, 或有库存保障"),
    "t3.order": ("{order} ({qty} × {sku}) has {ops} unfinished operation(s), next {seq} on {center} ({done} of {qty} "
                 "done); it serves {served}, ship by {ship_by}",
                 "{order} ({qty} × {sku}) 有 {ops} 道工序未完成, 下一道 {seq} 在 {center} (已完成 {done}/{qty}); "
                 "服务于 {served}, 须在 {ship_by} 前发货"),
    "t3.line": ("{channel} {external} line {line}, ship by {ship_by}: {missing} with neither stock nor production "
                "behind it", "{channel} {external} 第 {line} 行, 须在 {ship_by} 前发货: {missing} 既无库存也无生产保障"),
    "t3.missing": ("{qty} × {sku} at {location}", "{location} 的 {qty} × {sku}"),
    "t3.summary": ("{found:T-{days} finding} on {day}; {closed} with the loop closed",
                   "{day} 发现 T-{days} 预警 {found} 项; 已闭环 {closed} 项"),
    "t3.acted": ("#{id} {subject}: {status:word}, owner {owner}, action {action:word}, to be resolved, deadline "
                 "{deadline}", "#{id} {subject}: {status:word}, 责任人 {owner}, 措施 {action:word}, 待解决, 期限 {deadline}"),
    "t3.no_action": ("#{id} {subject}: {status:word}, owner {owner}, needs an action ({actions:word}), deadline "
                     "{deadline}", "#{id} {subject}: {status:word}, 责任人 {owner}, 需要措施 ({actions:word}), 期限 {deadline}"),
    # escalation
    "escalation.line": ("#{id} {subject}: past its deadline {deadline}, now level {level} ({role}), owner {owner}, "
                        "new deadline {new_deadline}", "#{id} {subject}: 已过期限 {deadline}, 升至第 {level} 级 ({role}), "
                        "责任人 {owner}, 新期限 {new_deadline}"),
    "escalation.top": ("#{id} {subject}: past its deadline {deadline}, now level {level} ({role}) (the top of the "
                       "ladder), owner {owner}, new deadline {new_deadline}",
                       "#{id} {subject}: 已过期限 {deadline}, 第 {level} 级 ({role}, 已是最高级), 责任人 {owner}, "
                       "新期限 {new_deadline}"),
}

WORDS_ZH = {"open": "待处理", "acted": "已采取措施", "resolved": "已解决", "redated": "已改期", "cleared": "已消除",
            "expedite": "加急", "split": "拆分", "overtime": "加班", "outsource": "外协", "renegotiate": "重新协商",
            "accept late": "接受延期"}

_FORMAT_SPEC = re.compile(r"[<>=^]?[+\- ]?#?0?\d*[,_]?(\.\d+)?[bcdeEfFgGnosxX%]?")


def message(key: str, **args) -> dict:
    if key not in TEMPLATES:
        raise KeyError(f"no message template '{key}'")
    return {"key": key, "args": args}


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value, spec: str) -> str:
        if isinstance(value, list):
            return ", ".join(self.format_field(v, spec) for v in value)
        if isinstance(value, dict) and "key" in value:
            return render(value, self.lang)
        if spec == "word":
            return WORDS_ZH.get(value, value) if self.lang == "zh" else str(value)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if spec and not _FORMAT_SPEC.fullmatch(spec):          # a counted noun
            text = quantity_text(round(value, 3))
            return text if self.lang == "zh" else f"{text} {spec}{'' if value == 1 else 's'}"
        if number and not spec:
            return quantity_text(round(value, 3))
        return super().format_field(value, spec)


def render(msg: dict | None, lang: str = "en", fallback: str = "") -> str:
    """The message in `lang` (en or zh); `fallback` (the stored text) when there is none or its
    template is unknown (a newer version wrote it)."""
    if not msg or msg.get("key") not in TEMPLATES:
        return fallback
    template = TEMPLATES[msg["key"]][LANGS.index(lang) if lang in LANGS else 0]
    return _Formatter(lang).format(template, **msg.get("args", {}))
