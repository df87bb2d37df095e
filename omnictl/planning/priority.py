"""An explainable priority for production orders: urgency, customer tier and margin.

    score = (w_urgency × urgency + w_tier × tier + w_margin × margin) / (w_urgency + w_tier + w_margin)

Each part is normalised to 0..1; the weights are `plan.weight.urgency`, `plan.weight.tier`
and `plan.weight.margin` (relative: dividing by their sum keeps the score in 0..1; the
defaults 0.6, 0.25 and 0.15 sum to 1).

- **urgency** = 1 − slack / horizon, clamped to 0..1. Slack is the days from today to the
  order's planned start (its latest start to be done by the due date); 0 or less (it should
  have started) is 1, `plan.horizon_days` or more is 0.
- **tier**: the most important customer among the sales lines the order serves: A = 1,
  B = 0.6, C = 0.3; a customer without a tier, a sale without a customer, and stock orders
  count as 0.3 (like C: unknown is not more important than the least tier).
- **margin** = (price − standard cost) / price, clamped to 0..1: price is what the served
  lines sell one unit of the SKU for, weighted by the quantity served and converted to the
  base currency at each order's date; stock orders use the SKU's list price. Standard cost
  is the SKU's cost. No usable price or no cost: 0 (the basis says why).

A component order carries the tier and margin of the order it feeds; its urgency is its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from omnictl import settings
from omnictl.db import Database
from omnictl.models import PriorityPart, PriorityParts
from omnictl.values import minor_digits

TIER_VALUE = {"A": 1.0, "B": 0.6, "C": 0.3}
NO_TIER = 0.3
FORMULA = ("score = (w_urgency × urgency + w_tier × tier + w_margin × margin) / (w_urgency + w_tier + w_margin); "
           "urgency = 1 − slack days / horizon days (1 when late), tier A 1 · B 0.6 · C or none 0.3, "
           "margin = (price − standard cost) / price in base currency, each clamped to 0..1")


@dataclass(slots=True)
class Weights:
    urgency: float
    tier: float
    margin: float
    horizon_days: int

    @classmethod
    def from_settings(cls, db: Database) -> "Weights":
        return cls(settings.get(db, "plan.weight.urgency"), settings.get(db, "plan.weight.tier"),
                   settings.get(db, "plan.weight.margin"), settings.get(db, "plan.horizon_days"))

    @property
    def total(self) -> float:
        return self.urgency + self.tier + self.margin


class Part(NamedTuple):
    value: float
    basis: str


def clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def urgency(slack_days: int, horizon_days: int) -> Part:
    value = clamp(1 - slack_days / horizon_days) if horizon_days > 0 else (1.0 if slack_days <= 0 else 0.0)
    if slack_days < 0:
        basis = f"should have started {-slack_days} day(s) ago"
    elif slack_days == 0:
        basis = "must start today"
    else:
        basis = f"{slack_days} day(s) of slack before it must start, of a {horizon_days}-day horizon"
    return Part(round(value, 4), basis)


def tier(tiers: list[str | None], stock: bool = False) -> Part:
    if stock:
        return Part(NO_TIER, "stock order: no customer (as tier C)")
    if not tiers:
        return Part(NO_TIER, "no customer tier known (as tier C)")
    best = max(tiers, key=lambda t: TIER_VALUE.get(t or "", NO_TIER))
    if best not in TIER_VALUE:
        return Part(NO_TIER, "customers without a tier (as tier C)")
    return Part(TIER_VALUE[best], f"tier {best}: the most important customer served")


def margin(revenue_base: float, units: float, cost_minor: int | None, currency: str | None,
           source: str, missing: str | None = None) -> Part:
    """(revenue − cost × units) / revenue; revenue in base minor units for `units` units."""
    if cost_minor is None:
        return Part(0.0, "no standard cost for the SKU: margin unknown, counted 0")
    if units <= 0 or revenue_base <= 0:
        return Part(0.0, missing or "no price: margin unknown, counted 0")
    price = revenue_base / units
    value = (price - cost_minor) / price
    digits = minor_digits(currency)
    money = f"price {price / 10 ** digits:.{digits}f} − cost {cost_minor / 10 ** digits:.{digits}f}"
    return Part(round(clamp(value), 4), f"{money}{' ' + currency if currency else ''} per unit ({source}): "
                                        f"{value * 100:.1f}%")


_TEXT = json.JSONEncoder(ensure_ascii=False).encode


class Scorer:
    """Scores orders with one set of weights. Each distinct part is weighed (and written as
    JSON) once: a plan's orders share most of their parts (a component order carries its
    parent's tier and margin; urgency has a value per day of slack)."""

    def __init__(self, weights: Weights):
        self.weights = weights
        self._seen: dict[str, dict[Part, tuple[PriorityPart, str]]] = {"urgency": {}, "tier": {}, "margin": {}}
        self._scored: dict[tuple[Part, Part, Part], tuple[float, PriorityParts, str]] = {}

    def _one(self, name: str, part: Part, weight: float) -> tuple[PriorityPart, str]:
        seen = self._seen[name]
        found = seen.get(part)
        if found is None:
            total = self.weights.total
            share = round(part.value * weight / total, 4) if total > 0 else 0.0
            weighed = PriorityPart(float(part.value), float(weight), share, part.basis)
            text = (f'"{name}":{{"value":{weighed.value!r},"weight":{weighed.weight!r},'
                    f'"contribution":{share!r},"basis":{_TEXT(part.basis)}}}')
            found = seen[part] = (weighed, text)
        return found

    def score(self, urgency_part: Part, tier_part: Part, margin_part: Part) -> tuple[float, PriorityParts, str]:
        """(score, parts, parts as stored in `production_order.priority_parts`: JSON)."""
        key = (urgency_part, tier_part, margin_part)
        found = self._scored.get(key)
        if found is None:
            found = self._scored[key] = self._score(urgency_part, tier_part, margin_part)
        return found

    def _score(self, urgency_part: Part, tier_part: Part, margin_part: Part) -> tuple[float, PriorityParts, str]:
        w = self.weights
        urgency, u = self._one("urgency", urgency_part, w.urgency)
        tier_, t = self._one("tier", tier_part, w.tier)
        margin_, m = self._one("margin", margin_part, w.margin)
        score = round(urgency.contribution + tier_.contribution + margin_.contribution, 4)
        return score, PriorityParts(urgency, tier_, margin_), "{" + u + "," + t + "," + m + "}"
