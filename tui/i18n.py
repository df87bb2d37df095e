"""Every label of the console in English and Simplified Chinese.

`--lang en|zh` chooses; otherwise the locale (LC_ALL, then LC_MESSAGES, then LANG) does: a
locale starting with `zh` gives Chinese. A key missing from the catalogue shows as itself,
so a forgotten label is visible, never a crash (tests check that both columns are filled).
"""

from __future__ import annotations

import os

LANGS = ("en", "zh")

CATALOGUE: dict[str, tuple[str, str]] = {
    # app and screens
    "app.title": ("omnictl", "omnictl 运营控制台"),
    "screen.orders": ("Orders", "订单"),
    "screen.stock": ("Stock", "库存"),
    "screen.plan": ("Plan", "排产"),
    "key.help": ("Keys", "按键"),
    "key.quit": ("Quit", "退出"),
    "key.theme": ("Theme", "主题"),
    "key.export": ("Export", "导出"),
    "key.search": ("Search", "搜索"),
    "key.open": ("Open", "打开"),
    "key.back": ("Back", "返回"),
    "key.clear": ("Clear", "清除"),
    "key.shortage": ("Shortages", "缺货"),
    "key.count": ("Count", "盘点"),
    "key.finish": ("Finish count", "完成盘点"),
    "key.cancel_count": ("Leave count", "退出盘点"),
    "key.earlier": ("Earlier", "向前"),
    "key.later": ("Later", "向后"),
    "key.zoom": ("Zoom", "缩放"),
    "key.by": ("By resource/order", "按资源/工单"),
    "key.explain": ("Explain", "说明"),
    "key.rush": ("Rush order", "插单"),
    "key.refresh": ("Refresh", "刷新"),
    "cmd.theme": ("Toggle dark/light theme", "切换深色/浅色主题"),
    "cmd.export": ("Export the current table (CSV or Markdown)", "导出当前表格 (CSV 或 Markdown)"),
    "cmd.goto": ("Go to the {name} screen", "转到{name}页面"),
    "cmd.count": ("Start a stock count", "开始盘点"),
    "cmd.rush": ("Rush an order (what-if first)", "插单 (先看影响)"),
    "cmd.refresh": ("Reload the current screen", "重新加载当前页面"),
    # table
    "table.loading": ("loading…", "加载中…"),
    "table.rows": ("{count} rows", "{count} 行"),
    "table.empty": ("nothing to show", "没有数据"),
    # columns
    "col.id": ("id", "编号"),
    "col.channel": ("channel", "渠道"),
    "col.order": ("order", "订单号"),
    "col.date": ("date", "日期"),
    "col.customer": ("customer", "客户"),
    "col.status": ("status", "状态"),
    "col.lines": ("lines", "行数"),
    "col.total": ("total", "金额"),
    "col.ship by": ("ship by", "承诺发货"),
    "col.sku": ("sku", "SKU"),
    "col.location": ("location", "库位"),
    "col.on hand": ("on hand", "现有库存"),
    "col.reserved": ("reserved", "预留"),
    "col.atp": ("ATP", "可承诺量"),
    "col.open supply": ("open supply", "在途供应"),
    "col.next supply": ("next supply", "下次到货"),
    "col.time": ("time", "时间"),
    "col.qty": ("qty", "数量"),
    "col.kind": ("kind", "类型"),
    "col.balance": ("balance", "结存"),
    "col.reason": ("reason", "原因"),
    "col.counted": ("counted", "盘点数"),
    "col.book": ("book", "账面"),
    "col.difference": ("difference", "差异"),
    # orders
    "orders.search": ("/ order no., name, phone, email or SKU", "/ 订单号、姓名、电话、邮箱或 SKU"),
    "orders.channel": ("channel", "渠道"),
    "orders.status": ("status", "状态"),
    "orders.from": ("from", "起始日期"),
    "orders.to": ("to", "截止日期"),
    "orders.all": ("all", "全部"),
    "orders.found": ("{count} orders match '{text}'", "“{text}”匹配 {count} 个订单"),
    "order.title": ("Order {channel} {number}", "订单 {channel} {number}"),
    "order.lines": ("Lines", "订单行"),
    "order.amounts": ("Amounts", "金额"),
    "order.history": ("Payment and fulfilment history", "付款与履约记录"),
    "order.stock": ("Stock per line (at {location})", "每行库存 ({location})"),
    "order.production": ("Production", "生产"),
    "order.expected": ("Expected ship date by the current plan: {day}", "按当前排产预计发货: {day}"),
    "order.no_plan": ("Not served by production (ships from stock)", "不需生产 (由库存发货)"),
    "order.customer": ("Customer", "客户"),
    "order.subtotal": ("subtotal", "小计"),
    "order.shipping": ("shipping", "运费"),
    "order.tax": ("tax", "税"),
    "order.discount": ("discount", "折扣"),
    "order.refunded": ("refunded", "已退款"),
    "order.total": ("total", "合计"),
    "order.unmapped": ("unmapped SKU", "未映射 SKU"),
    # stock
    "stock.all_locations": ("all locations", "全部库位"),
    "stock.shortage_on": ("shortages only", "仅显示缺货"),
    "stock.moves": ("Moves of {sku}", "{sku} 的库存流水"),
    "stock.count_title": ("COUNT at {location}: scan or type a code, Enter adds 1; CODE*N adds N",
                          "盘点 {location}: 扫码或输入编码, 回车加 1; 编码*N 加 N"),
    "stock.scan": ("scan a barcode or type a SKU", "扫描条码或输入 SKU"),
    "stock.count_location": ("count location", "盘点库位"),
    "stock.unknown_code": ("'{code}' is no master SKU or barcode; it is kept and listed as unknown",
                           "“{code}”不是主数据 SKU 或条码; 已记录, 将列为未知"),
    "stock.bad_entry": ("'{text}' is not CODE or CODE*QUANTITY", "“{text}”格式应为 编码 或 编码*数量"),
    "stock.confirm_title": ("Apply this count at {location}?", "应用 {location} 的盘点?"),
    "stock.confirm_lines": ("{differences} differences, value {value}; {unknown} unknown codes",
                            "{differences} 项差异, 金额 {value}; {unknown} 个未知编码"),
    "stock.reason": ("reason (kept with every move)", "原因 (记录在每条流水上)"),
    "stock.default_reason": ("counted in the console", "控制台盘点"),
    "stock.applied": ("Count applied: {moves} correcting moves posted", "盘点已应用: 过账 {moves} 条调整"),
    "stock.count_left": ("Count left; nothing was applied", "已退出盘点, 未应用任何调整"),
    "stock.counting_keys_off": ("Counting: screen keys are off (Esc leaves the count)",
                                "盘点中: 页面快捷键已关闭 (Esc 退出盘点)"),
    # plan
    "plan.title": ("Plan by {by}, {start} → {end}", "排产 (按{by}), {start} → {end}"),
    "plan.by.resource": ("resource", "资源"),
    "plan.by.order": ("order", "工单"),
    "plan.none": ("No schedule yet: run `omnictl plan run`", "尚无排产: 请运行 `omnictl plan run`"),
    "plan.explain": ("Why {number} is where it is", "{number} 的排产说明"),
    "plan.rush_prompt": ("Rush which order? (production or sales order number)", "插哪个单? (生产工单或销售订单号)"),
    "plan.rush_title": ("Rush {key}: what changes", "插单 {key}: 影响"),
    "plan.otd": ("on-time delivery {before:.0%} → {after:.0%}", "准时交付率 {before:.0%} → {after:.0%}"),
    "plan.newly_late": ("newly late: {orders}", "新增延误: {orders}"),
    "plan.moved": ("{order}: ends {before} → {after}", "{order}: 完工 {before} → {after}"),
    "plan.accepted": ("Rush accepted: plan run {run} is now current", "插单已接受: 排产 {run} 为当前计划"),
    "plan.rush_cancelled": ("Rush cancelled; the plan is unchanged", "已取消插单, 计划未变"),
    "plan.rush_reason": ("reason", "原因"),
    "plan.default_reason": ("rush from the console", "控制台插单"),
    "plan.select_order": ("Switch to the by-order view (b) and pick an order first", "请先切换到按工单视图 (b) 并选择工单"),
    # dialogs
    "dialog.ok": ("OK", "确定"),
    "dialog.accept": ("Accept", "接受"),
    "dialog.apply": ("Apply", "应用"),
    "dialog.cancel": ("Cancel", "取消"),
    "dialog.close": ("Close", "关闭"),
    "export.title": ("Export {count} rows to (.csv or .md)", "导出 {count} 行到 (.csv 或 .md)"),
    "export.done": ("Exported {count} rows to {path}", "已导出 {count} 行到 {path}"),
    "error.internal": ("internal error ({detail}); run with OMNICTL_DEBUG=1 and report it",
                       "内部错误 ({detail}); 请用 OMNICTL_DEBUG=1 运行并报告"),
    "col.product": ("product", "品名"),
    # data words shown translated (exports keep the stored word)
    "value.pending": ("pending", "待付款"),
    "value.paid": ("paid", "已付款"),
    "value.unpaid": ("unpaid", "未付款"),
    "value.shipped": ("shipped", "已发货"),
    "value.delivered": ("delivered", "已送达"),
    "value.cancelled": ("cancelled", "已取消"),
    "value.returned": ("returned", "已退货"),
    "value.refunded": ("refunded", "已退款"),
    "value.partly refunded": ("partly refunded", "部分退款"),
    "value.open": ("open", "未发货"),
    "value.ok": ("ok", "正常"),
    "value.at risk": ("at risk", "有风险"),
    "value.oversold": ("oversold", "超卖"),
    "value.planned": ("planned", "已计划"),
    "value.released": ("released", "已下达"),
    "value.started": ("started", "已开工"),
    "value.done": ("done", "已完工"),
    "screen.imports": ("Imports", "导入"),
    "key.map": ("Map SKU", "映射 SKU"),
    "col.file": ("file", "文件"),
    "col.imported": ("rows", "导入行"),
    "col.rejected": ("rejects", "拒绝"),
    "col.unmapped": ("unmapped", "未映射"),
    "col.row": ("row", "行号"),
    "col.field": ("field", "字段"),
    "col.external sku": ("channel SKU", "渠道 SKU"),
    "imports.unmapped": ("Channel SKUs waiting for a mapping (Enter or m maps one)",
                         "等待映射的渠道 SKU (回车或 m 映射)"),
    "imports.rejects": ("Rejects of batch {batch} ({file})", "批次 {batch} 的拒绝行 ({file})"),
    "imports.map_prompt": ("Map {channel} '{external}' ({product}) to which master SKU?",
                           "将 {channel} “{external}” ({product}) 映射到哪个主数据 SKU?"),
    "imports.map_help": ("Map the selected channel SKU to a master SKU", "将选中的渠道 SKU 映射到主数据 SKU"),
    "imports.mapped": ("{external} → {sku}: {lines} waiting lines resolved", "{external} → {sku}: 已解决 {lines} 行"),
    "screen.forecast": ("Forecast", "预测"),
    "col.per day": ("per day", "日均预测"),
    "col.stock-out": ("stock-out", "断货日"),
    "col.suggested": ("suggest", "建议量"),
    "col.order by": ("order by", "下单日"),
    "col.action": ("action", "动作"),
    "forecast.chart": ("{sku}: last {days} days (cyan) │ next {ahead} days forecast (magenta)",
                       "{sku}: 过去 {days} 天 (青) │ 未来 {ahead} 天预测 (品红)"),
    "forecast.error": ("method {method} · MASE {mase} · WAPE {wape} · as of {as_of}",
                       "方法 {method} · MASE {mase} · WAPE {wape} · 截至 {as_of}"),
    "forecast.suggest": ("{action} {qty} for {location} by {by} (projected stock-out {out})",
                         "{location}: 在 {by} 前{action} {qty} (预计断货 {out})"),
    "forecast.enough": ("{location}: covered over the horizon, nothing to order", "{location}: 预测期内充足, 无需下单"),
    "forecast.buy": ("buy", "采购"),
    "forecast.produce": ("produce", "生产"),
    "changed": ("The database changed; refreshed", "数据库已更新; 已刷新"),
}


def language_from_environment(environ=os.environ) -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


class Catalogue:
    def __init__(self, lang: str | None = None):
        self.lang = lang if lang in LANGS else language_from_environment()
        self._column = LANGS.index(self.lang)

    def __call__(self, key: str, /, **values) -> str:
        entry = CATALOGUE.get(key)
        text = entry[self._column] if entry else key
        return text.format(**values) if values else text

    def word(self, word: str) -> str:
        """A stored word (a status) in the chosen language; an unknown word as it is."""
        entry = CATALOGUE.get(f"value.{word}")
        return entry[self._column] if entry else word
