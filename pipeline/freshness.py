"""Freshness of what the town reads, as Dagster freshness policies on the assets.

The daemon evaluates them (every 30 s) and the asset graph and catalogue show each asset as
fresh, warning or failing; a change of state is a `FRESHNESS_STATE_CHANGE` event (what an alert
reads, `instance.get_freshness_state_records`).

The rule: every day, by one hour after the last retry of the morning (`DAILY_REFRESH_RETRY_UNTIL`,
09:00 → deadline 10:00 Vietnam time), the asset has been materialized since that morning's
scheduled refresh (`DAILY_REFRESH_CRON`; 24 hours when the cron has no fixed time of day).
The deadline follows the cron's days, so a weekdays-only schedule is not stale on Sunday.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipeline.recovery import daily_refresh_cron, retry_until
from pipeline.workcal import TIMEZONE

# What an analyst or a report reads: the landed dossiers, the two main marts, the published file.
FRESH_ASSETS = [
    dg.AssetKey(["raw", "motcua_dossiers"]),
    dg.AssetKey(["marts", "fct_dossier"]),
    dg.AssetKey(["marts", "fct_indicator"]),
    dg.AssetKey(["publish", "warehouse"]),
]
GRACE_AFTER_RETRIES = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _time_of(minutes: int) -> tuple[int, int]:
    minutes %= 24 * 60
    return divmod(minutes, 60)


def freshness_policy(cron: str | None = None, until: dt.time | None = None) -> dg.FreshnessPolicy:
    cron = cron or daily_refresh_cron()
    until = until or retry_until()
    fields = cron.split()
    deadline_minutes = (
        until.hour * 60 + until.minute + GRACE_AFTER_RETRIES // dt.timedelta(minutes=1)
    )
    hour, minute = _time_of(deadline_minutes)
    days = " ".join(fields[2:5]) if len(fields) == 5 else "* * *"
    lower_bound = DAY
    if len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit():
        tick = int(fields[1]) * 60 + int(fields[0])
        since_tick = (deadline_minutes - tick) % (24 * 60)
        if since_tick:
            lower_bound = dt.timedelta(minutes=since_tick)
    return dg.FreshnessPolicy.cron(
        deadline_cron=f"{minute} {hour} {days}",
        lower_bound_delta=lower_bound,
        timezone=TIMEZONE,
    )


def with_freshness_policies(assets: list) -> list:
    """The assets, with the freshness policy on those of `FRESH_ASSETS`."""
    policy = freshness_policy()

    def attach(spec: dg.AssetSpec) -> dg.AssetSpec:
        return dg.apply_freshness_policy(spec, policy) if spec.key in FRESH_ASSETS else spec

    return list(dg.map_asset_specs(attach, assets))
