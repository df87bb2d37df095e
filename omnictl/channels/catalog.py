"""What the channels and profiles are, and which profile a file matches and why."""

from __future__ import annotations

from itertools import islice

from omnictl import clock
from omnictl.channels.mapping import Mapper, Reject
from omnictl.channels.profile import all_profiles, detect, get_profile
from omnictl.db import Database
from omnictl.errors import NotFound
from omnictl.models import ChannelInfo, DetectResult, ProfileInfo
from omnictl.tabular import open_table

PREVIEW_ORDERS = 3


def list_profiles(db: Database) -> list[ProfileInfo]:
    users: dict[str, list[str]] = {}
    for row in db.query("SELECT code, profile FROM channel ORDER BY code"):
        users.setdefault(row["profile"], []).append(row["code"])
    return [_profile_info(p, users.get(p.name, [])) for p in sorted(all_profiles().values(), key=lambda p: p.name)]


def _profile_info(profile, channels) -> ProfileInfo:
    return ProfileInfo(name=profile.name, title=profile.title, experimental=profile.experimental,
                       source=profile.source, channels=channels, detect=profile.detect,
                       columns=profile.columns, notes=profile.notes)


def list_channels(db: Database) -> list[ChannelInfo]:
    rows = db.query(
        "SELECT c.*, (SELECT count(*) FROM sales_order o WHERE o.channel = c.code) AS orders, "
        "(SELECT max(finished_at) FROM import_batch b WHERE b.channel = c.code AND b.undone_at IS NULL) "
        "AS last_import FROM channel c ORDER BY c.code")
    return [_channel_info(r) for r in rows]


def _channel_info(row) -> ChannelInfo:
    return ChannelInfo(code=row["code"], name=row["name"], profile=row["profile"], timezone=row["timezone"],
                       location=row["location"], lead_time_days=row["lead_time_days"],
                       allocation_share=row["allocation_share"], buffer_qty=row["buffer_qty"],
                       reserve_unpaid=bool(row["reserve_unpaid"]), active=bool(row["active"]),
                       orders=row["orders"], last_import=row["last_import"])


def show(db: Database, name: str) -> ChannelInfo | ProfileInfo:
    """A channel by code, else a profile by name."""
    for channel in list_channels(db):
        if channel.code == name:
            return channel
    profiles = {p.name: p for p in list_profiles(db)}
    if name in profiles:
        return profiles[name]
    raise NotFound(f"no channel or profile named '{name}'; `omnictl channels list` shows them")


def detect_file(db: Database, path: str) -> DetectResult:
    """Which profile matches a file, why, and its first orders as they would be imported."""
    table = open_table(path)
    found = detect(table)
    candidates = []
    for name, score, matched in found.candidates[:5]:
        profile = get_profile(name)
        candidates.append({"profile": name, "matched": matched, "columns_mapped": score,
                           "missing_detect_columns": profile.missing_detect(table.header)})
    if found.profile is None:
        return DetectResult(file=str(path), encoding=table.encoding, delimiter=table.delimiter,
                            columns=len(table.header), profile=None, reason="no profile has all its "
                            "detect columns in this header", candidates=candidates, preview=[])
    profile = found.profile
    reason = (f"all of {profile.name}'s detect columns are present "
              f"({', '.join(profile.detect)}); {candidates[0]['columns_mapped']} fields mapped")
    preview = []
    if not profile.refuse and not profile.part_of and not profile.join_profile:
        mapper = Mapper(profile, table, timezone=profile.timezone, lead_time_days=2,
                        default_currency=db.setting("company.currency"), company_zone=clock.zone())
        for record in islice(mapper.map_orders(), PREVIEW_ORDERS * 3):
            if isinstance(record, Reject):
                preview.append({"row": record.row_no, "reject": record.reason})
            else:
                preview.append({"row": record.first_row, "order": record.external_id,
                                "ordered_at": record.ordered_at or record.ordered_on, "status": record.status,
                                "total_minor": record.total_minor, "currency": record.currency,
                                "lines": [{"sku": l.external_sku, "quantity": l.quantity,
                                           "unit_price_minor": l.unit_price_minor, "status": l.status}
                                          for l in record.lines]})
            if sum(1 for p in preview if "order" in p) >= PREVIEW_ORDERS:
                break
    elif profile.refuse:
        reason += f"; but {profile.refuse}"
    return DetectResult(file=str(path), encoding=table.encoding, delimiter=table.delimiter,
                        columns=len(table.header), profile=profile.name, reason=reason,
                        candidates=candidates, preview=preview)
