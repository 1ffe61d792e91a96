"""Demo rows of the marketing side: campaigns, leads and campaign members."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm import demo_pools
from crm import models as crm_models
from crm.demo_rows import DAY, HISTORY_DAYS, Seeding, Table, stage_weights

_CENT = Decimal("0.01")


def campaigns(s: Seeding, n: int) -> None:
    """Campaigns starting from 18 months ago to 3 months ahead; the status
    follows the dates (a few are aborted)."""
    rng, today = s.rng, s.today
    kinds = s.object_type("campaign").fields["type"].choices
    status = crm_models.Campaign.Status
    for i in range(n):
        start = today + dt.timedelta(days=rng.randint(60 - HISTORY_DAYS, 90))
        end = start + dt.timedelta(days=rng.choice((1, 1, 7, 14, 30, 60)))
        if rng.random() < 0.05:
            state = status.ABORTED
        elif start > today:
            state = status.PLANNED
        elif end < today:
            state = status.COMPLETED
        else:
            state = status.IN_PROGRESS
        kind = rng.choice(kinds)
        budget = Decimal(rng.randrange(5, 200) * 500)
        spent = None
        if state != status.PLANNED:
            spent = (budget * rng.randint(60, 120) / 100).quantize(_CENT)
        created_ts = s.noon(start) - rng.randint(14, 60) * DAY
        campaign = crm_models.Campaign(
            **s.base(max(s.start_ts, min(s.now_ts, created_ts)), s.sales_owner()),
            name=(
                f"{rng.choice(demo_pools.CAMPAIGN_THEMES)} {kind.label} "
                f"{start:%b %Y} #{i + 1}"
            ),
            type=kind.value,
            status=state,
            start_date=start,
            end_date=end,
            budgeted_cost=budget,
            actual_cost=spent,
            expected_revenue=budget * rng.randint(3, 12),
            is_active=state in (status.PLANNED, status.IN_PROGRESS),
            description=rng.choice(s.pools.catch_phrases),
        )
        s.writer.add(campaign)
        s.campaigns.append(campaign)


def leads(s: Seeding, n: int) -> None:
    """Leads in every status of the default lead pipeline (the first ones take
    each status in turn); those in the "converted" status were converted into
    an existing opportunity's account, contact and opportunity."""
    rng, pools = s.rng, s.pools
    pipeline = s.object_type("lead").pipeline(None)
    stages = pipeline.stages
    weights = stage_weights(stages, won=0.20, lost=0.15)
    industries = s.choices("lead", "industry")
    sources = s.choices("lead", "lead_source")
    ratings = s.choices("lead", "rating")
    accounts_ = s.tables["account"]
    contacts_ = s.tables["contact"]
    opportunities_ = s.tables["opportunity"]
    table = s.tables["lead"] = Table()
    for i, ts in enumerate(s.times(n)):
        stage = stages[i] if i < len(stages) else rng.choices(stages, weights)[0]
        company = demo_pools.company(rng, pools)
        site = demo_pools.domain(rng, company)
        first, last, email = s.person(site)
        owner = s.sales_owner()
        converted: dict[str, object] = {}
        converted_ts = None
        if stage.key == "converted" and len(opportunities_):
            o = rng.randrange(len(opportunities_))
            c = opportunities_.contacts[o]
            converted_ts = s.later(ts, 30)
            converted = {
                "is_converted": True,
                "converted_at": s.at(converted_ts),
                "converted_account_id": accounts_.ids[opportunities_.accounts[o]],
                "converted_contact_id": contacts_.ids[c] if c >= 0 else None,
                "converted_opportunity_id": opportunities_.ids[o],
            }
        lead = crm_models.Lead(
            **s.base(ts, owner, updated_ts=converted_ts),
            **s.address(""),
            **converted,
            first_name=first,
            last_name=last,
            company=company,
            title=rng.choice(pools.titles),
            email=email,
            phone=demo_pools.phone(rng),
            mobile_phone=demo_pools.phone(rng) if rng.random() < 0.4 else "",
            website=f"https://www.{site}" if rng.random() < 0.6 else "",
            industry=rng.choice(industries),
            annual_revenue=rng.choice(pools.revenues) if rng.random() < 0.5 else None,
            number_of_employees=rng.choice(pools.employees),
            lead_source=rng.choice(sources),
            rating=rng.choice(ratings),
            pipeline=pipeline.key,
            status=stage.key,
            campaign_id=(
                rng.choice(s.campaigns).pk
                if s.campaigns and rng.random() < 0.3
                else None
            ),
            description=rng.choice(pools.sentences) if rng.random() < 0.5 else "",
        )
        s.writer.add(lead)
        table.ids.append(lead.pk)
        table.times.append(ts)
        table.owners.append(owner)
        table.emails.append(email)


def campaign_members(s: Seeding, n: int) -> None:
    """Up to ``n`` distinct (campaign, contact or lead) pairs, half of each
    kind; only started campaigns have responses."""
    if not s.campaigns:
        return
    rng, status = s.rng, crm_models.CampaignMember.Status
    people = [t for t in (s.tables["contact"], s.tables["lead"]) if len(t)]
    if not people:
        return
    started = (status.SENT, status.SENT, status.RESPONDED, status.PLANNED)
    seen: set[tuple[int, int, int]] = set()
    for _ in range(5 * n):
        if len(seen) >= n:
            break
        k = rng.randrange(len(people))
        table = people[k]
        p = rng.randrange(len(table))
        c = rng.randrange(len(s.campaigns))
        if (c, k, p) in seen:
            continue
        seen.add((c, k, p))
        campaign = s.campaigns[c]
        state = status.PLANNED if campaign.start_date > s.today else rng.choice(started)
        responded = None
        if state == status.RESPONDED:
            responded = min(
                s.today, campaign.start_date + dt.timedelta(days=rng.randint(0, 14))
            )
        ts = min(s.now_ts, max(campaign.created_at.timestamp(), table.times[p]))
        is_lead = table is s.tables["lead"]
        s.writer.add(
            crm_models.CampaignMember(
                **s.base(ts, table.owners[p]),
                campaign_id=campaign.pk,
                contact_id=None if is_lead else table.ids[p],
                lead_id=table.ids[p] if is_lead else None,
                status=state,
                has_responded=responded is not None,
                first_responded_date=responded,
            )
        )
