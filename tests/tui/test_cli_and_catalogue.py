"""`omnictl tui` options and the label catalogue."""

from __future__ import annotations

from tui.i18n import CATALOGUE, Catalogue, language_from_environment


def test_every_label_has_english_and_chinese():
    assert all(en.strip() and zh.strip() for en, zh in CATALOGUE.values())
    chinese = [key for key, (en, zh) in CATALOGUE.items() if en == zh and key != "app.title"]
    assert chinese == [] or all(k.startswith("col.sku") for k in chinese)


def test_language_from_locale():
    assert language_from_environment({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert language_from_environment({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_environment({}) == "en"
    assert Catalogue("zh")("screen.orders") == "订单"
    assert Catalogue("en")("missing.key") == "missing.key"


def test_tui_refuses_an_unknown_language_and_a_missing_database(cli, tmp_path):
    result = cli("tui", "--lang", "fr", db=False)
    assert result.code == 2 and "--lang 'fr'" in result.stderr
    result = cli("--db", str(tmp_path / "none.db"), "tui", db=False)
    assert result.code == 2 and "no database" in result.stderr
