"""omnictl.messages: the close's sentences in English and Chinese."""

from __future__ import annotations

import string

import pytest

from omnictl.messages import TEMPLATES, WORDS_ZH, message, render


def _fields(template: str) -> set[str]:
    names = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name:
            names.add(name)
        if spec:
            names |= _fields(spec)
    return names


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_both_languages_take_the_same_values_and_render(key):
    en, zh = TEMPLATES[key]
    assert _fields(en) == _fields(zh)
    args = {name: 2.5 if name in ("qty", "hours", "units") else 3 if name in ("operations", "found", "days") else
            ["expedite", "split"] if name == "actions" else "open" if name == "status" else f"<{name}>"
            for name in _fields(en)}
    assert "{" not in render(message(key, **args), "en") and "{" not in render(message(key, **args), "zh")


def test_numbers_counted_nouns_words_and_nested_messages():
    msg = message("production.center", center="CNC", operations=1, units=2.5, hours=1.25)
    assert render(msg) == "CNC: 1 operation behind plan, 2.5 units, 1.2 h"
    assert render(msg, "zh") == "CNC: 1 道工序落后计划, 2.5 件, 1.2 小时"
    summary = message("t3.summary", found=2, days=3, day="2026-11-24", closed=0)
    assert render(summary) == "2 T-3 findings on 2026-11-24; 0 with the loop closed"
    pending = message("t3.no_action", id=7, subject="t3:MO-1", status="open", owner="planner",
                      actions=["expedite", "accept late"], deadline="2026-11-26")
    assert "needs an action (expedite, accept late)" in render(pending)
    assert f"{WORDS_ZH['open']}" in render(pending, "zh") and "加急, 接受延期" in render(pending, "zh")
    line = message("t3.line", channel="amazon", external="111-2", line="1", ship_by="2026-11-26",
                   missing=[message("t3.missing", qty=2.0, sku="LAMP", location="WH"),
                            message("t3.missing", qty=1.0, sku="BULB", location="WH")])
    assert render(line) == ("amazon 111-2 line 1, ship by 2026-11-26: 2 × LAMP at WH, 1 × BULB at WH with neither "
                            "stock nor production behind it")
    assert "WH 的 2 × LAMP, WH 的 1 × BULB" in render(line, "zh")


def test_a_missing_or_unknown_message_falls_back_to_the_stored_text():
    assert render(None, "zh", "as stored") == "as stored"
    assert render({"key": "from.a.newer.version", "args": {}}, "zh", "as stored") == "as stored"
    with pytest.raises(KeyError):
        message("no.such.key")
