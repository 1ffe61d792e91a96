"""The demo data of crm.demo, as ``seed_demo`` makes it: every object, the
team, and records consistent with the lifecycle. The command's options and
refusals are in test_seed_options.py."""

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from accounts import access
from accounts.models import Membership, PublicGroup, User, Workspace
from crm import demo, records
from crm import models as crm_models
from crm.metadata import registry
from crm.query import aggregation
from crm.query import totals as query_totals
from crm.records import validation
from tests.crm.seeding import NOW, TEAM_EMAILS, run

TODAY = NOW.date()
RECORDS = 48
#: Rows per model for RECORDS opportunities (see demo.plan).
EXPECTED_COUNTS = {
    crm_models.Product: 42,
    crm_models.Price: 84,
    crm_models.Campaign: 5,
    crm_models.Account: 12,
    crm_models.Contact: 24,
    crm_models.Opportunity: 48,
    crm_models.Lead: 24,
    crm_models.CampaignMember: 12,
    crm_models.Case: 10,
    crm_models.Task: 14,
    crm_models.Event: 7,
    crm_models.Note: 7,
    crm_models.Call: 9,
    crm_models.EmailMessage: 9,
}
#: Made for some opportunities only: at least one each.
SOME = (
    crm_models.OpportunityLineItem,
    crm_models.Quote,
    crm_models.QuoteLineItem,
    crm_models.Contract,
)


@pytest.fixture
def seeded(other_ctx):
    """A demo workspace (beside another workspace, Globex) seeded at NOW."""
    result = demo.seed(records=RECORDS, seed=7, now=NOW)
    owner = User.objects.get(email=demo.DEMO_EMAIL)
    return result, access.context_for_user(owner, result.workspace)


def test_seed_demo_creates_every_object_in_one_workspace_and_prints_the_login(
    other_ctx,
):
    out = run("seed_demo", "--records", str(RECORDS))

    workspace = Workspace.objects.get(name="Demo Inc")
    for model, expected in EXPECTED_COUNTS.items():
        assert model.objects.filter(workspace=workspace).count() == expected, model
    for model in SOME:
        assert model.objects.filter(workspace=workspace).exists(), model
    for model in crm_models.STANDARD_MODELS:
        assert not model.objects.exclude(workspace=workspace).exists(), model
    lines = out.splitlines()
    assert lines[0] == "Seeding 'Demo Inc' with 48 opportunities (seed 1)."
    assert lines[-3:] == [
        f"Workspace 'Demo Inc', id {workspace.pk}",
        "Login: demo@hotcrm.local  password: hotcrm-demo",
        f"Team: {', '.join(TEAM_EMAILS)}",
    ]
    assert User.objects.get(email=demo.DEMO_EMAIL).check_password("hotcrm-demo")


def test_seed_demo_builds_the_team_with_roles_memberships_and_a_group(seeded):
    result, _ = seeded
    memberships = Membership.objects.filter(workspace=result.workspace)

    roles = {
        m.user.email: (m.role.name, m.role.parent.name if m.role.parent else None)
        for m in memberships.select_related("user", "role__parent")
    }
    assert roles == {
        "demo@hotcrm.local": ("CEO", None),
        "maya.patel@hotcrm.local": ("VP Sales", "CEO"),
        "liam.chen@hotcrm.local": ("Sales Rep", "VP Sales"),
        "sofia.garcia@hotcrm.local": ("Sales Rep", "VP Sales"),
        "noah.williams@hotcrm.local": ("Sales Rep", "VP Sales"),
        "ava.johnson@hotcrm.local": ("Support", "CEO"),
    }
    profiles = {m.user.email: m.profile.name for m in memberships}
    assert profiles["demo@hotcrm.local"] == "System Administrator"
    assert {profiles[email] for email in TEAM_EMAILS} == {"Standard User"}
    group = PublicGroup.objects.get(workspace=result.workspace)
    assert group.name == "Enterprise Deals"
    assert sorted(group.members.values_list("email", flat=True)) == sorted(
        TEAM_EMAILS[:4]
    )
    assert User.objects.get(email=TEAM_EMAILS[0]).check_password("hotcrm-demo")
    assert result.team == TEAM_EMAILS


def test_seeded_opportunities_cover_every_stage_with_stage_derived_fields(seeded):
    result, ctx = seeded
    pipeline = registry.get(ctx, "opportunity").pipeline(None)
    opportunities = list(
        crm_models.Opportunity.objects.filter(workspace=result.workspace)
    )

    assert {o.stage for o in opportunities} == {s.key for s in pipeline.stages}
    for o in opportunities:
        stage = pipeline.stage(o.stage)
        assert o.pipeline == "sales"
        assert o.probability == stage.probability
        assert o.is_closed is (stage.kind != "open")
        assert o.is_won is (stage.kind == "won")
        if stage.kind == "open":
            assert o.closed_at is None
            assert TODAY - dt.timedelta(30) <= o.close_date <= TODAY + dt.timedelta(183)
        else:
            assert o.created_at <= o.closed_at <= NOW
            assert o.closed_at.date() == o.close_date
            assert TODAY - dt.timedelta(365) <= o.close_date <= TODAY
        assert NOW - dt.timedelta(days=549) <= o.created_at <= NOW
        assert o.close_date >= o.created_at.date()
        items = list(o.line_items.all())
        if items:
            assert o.amount == sum(i.total_price for i in items)
        for item in items:
            off = 1 - (item.discount or 0) / Decimal(100)
            expected = (item.quantity * item.unit_price * off).quantize(Decimal("0.01"))
            assert item.total_price == expected
    owners = {o.owner_id for o in opportunities}
    assert len(owners) >= 4


def test_seeded_leads_cases_and_people_are_consistent(seeded):
    result, ctx = seeded
    workspace = result.workspace
    lead_statuses = {s.key for s in registry.get(ctx, "lead").pipeline(None).stages}
    case_pipeline = registry.get(ctx, "case").pipeline(None)

    leads = crm_models.Lead.objects.filter(workspace=workspace)
    assert {lead.status for lead in leads} == lead_statuses
    for lead in leads:
        assert lead.name == f"{lead.first_name} {lead.last_name}"
        assert lead.pipeline == "leads"
        assert lead.is_converted == (lead.status == "converted")
        if lead.is_converted:
            assert lead.converted_opportunity.account_id == lead.converted_account_id
    cases = crm_models.Case.objects.filter(workspace=workspace)
    assert {c.status for c in cases} == {s.key for s in case_pipeline.stages}
    for case in cases:
        closed = case_pipeline.stage(case.status).kind != "open"
        assert case.is_closed is closed
        assert (case.closed_at is not None) is closed
    for contact in crm_models.Contact.objects.filter(workspace=workspace):
        assert contact.name == f"{contact.first_name} {contact.last_name}"
        assert contact.account_id is not None
    for contract in crm_models.Contract.objects.filter(workspace=workspace):
        assert contract.end_date == (
            contract.start_date
            + relativedelta(months=contract.term_months)
            - dt.timedelta(days=1)
        )
        assert contract.account.opportunities.filter(is_won=True).exists()
    for quote in crm_models.Quote.objects.filter(workspace=workspace):
        assert quote.account_id == quote.opportunity.account_id
        assert quote.line_items.count() == quote.opportunity.line_items.count()


def test_seeded_cases_are_numbered_and_quotes_totalled_as_the_lifecycle_does(
    seeded,
):
    result, ctx = seeded
    cases = crm_models.Case.objects.filter(workspace=result.workspace)
    numbers = list(cases.order_by("created_at", "pk").values_list("case_number"))
    assert [n for (n,) in numbers] == [f"{1000 + i:08d}" for i in range(10)]
    made = records.create(ctx, "case", data={"subject": "After the seed"})
    assert made.case_number == "00001010"
    quotes = crm_models.Quote.objects.filter(workspace=result.workspace)
    for quote in quotes.prefetch_related("line_items"):
        items = sum(item.total_price for item in quote.line_items.all())
        # Demo quotes have no discount, tax or shipping: the total is the sum.
        assert (quote.discount, quote.tax, quote.shipping_handling) == (None,) * 3
        assert (quote.subtotal, quote.grand_total) == (items, items)
        assert quote.subtotal > 0
    quote = quotes.first()
    item = quote.line_items.first()
    records.update(ctx, "quote_line_item", item.pk, data={"quantity": 1000})
    quote.refresh_from_db()
    assert quote.subtotal == sum(i.total_price for i in quote.line_items.all())


def test_seeded_lookups_stay_in_the_workspace_and_owners_are_members(seeded):
    result, ctx = seeded
    workspace = result.workspace
    members = set(
        Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True)
    )

    checked = 0
    for object_type in registry.all_types(ctx):
        rows = object_type.queryset(workspace)
        for spec in object_type.lookups:
            ids = set(rows.values_list(spec.column, flat=True)) - {None}
            if spec.target == "user":
                assert ids <= members, (object_type.api_name, spec.name)
            else:
                target = registry.get(ctx, spec.target).queryset(workspace)
                alive = set(target.filter(pk__in=ids).values_list("pk", flat=True))
                assert ids == alive, (object_type.api_name, spec.name)
            checked += len(ids)
    assert checked > 300
    owners = set(crm_models.Opportunity.objects.values_list("owner_id", flat=True))
    assert owners <= members


def test_seeded_records_pass_the_lifecycles_validation(seeded):
    """Every field of a sample of each object, cleaned as input, is what is
    stored, and the record as a whole passes the lifecycle's checks."""
    result, ctx = seeded
    for object_type in registry.all_types(ctx):
        sample = list(object_type.queryset(result.workspace).order_by("pk")[:5])
        assert sample, object_type.api_name
        for record in sample:
            snapshot = object_type.snapshot(record)
            data = {s.name: snapshot[s.name] for s in object_type.writable_fields}
            values, problems = validation.clean_input(object_type, data)
            assert problems == [], (object_type.api_name, problems)
            state = validation.state_of(object_type, record)
            # Empty input cleans to None; assign() stores the type's empty value.
            stored = {
                name: object_type.fields[name].type.empty if value is None else value
                for name, value in values.items()
            }
            assert stored == {name: state[name] for name in values}
            validation.check(
                ctx,
                object_type,
                state,
                changed=object_type.fields,
                record_id=record.pk,
            )


#: A real change per object: a field and a value no seeded record has.
CHANGES = {
    "account": ("description", "Renewal at risk."),
    "contact": ("title", "Chief Revenue Officer"),
    "lead": ("title", "Head of Procurement (acting)"),
    "opportunity": ("next_step", "Sign the order form"),
    "opportunity_line_item": ("quantity", 999),
    "product": ("description", "Now with SSO."),
    "price": ("price_book", "Reseller"),
    "quote": ("discount", 12),
    "quote_line_item": ("discount", 7),
    "contract": ("term_months", 48),
    "case": ("reason", "Changed in a test"),
    "campaign": ("description", "Moved online."),
    "campaign_member": ("first_responded_date", "2020-01-02"),
    "task": ("subject", "Send the revised quote"),
    "event": ("location", "Board room"),
    "note": ("title", "Edited"),
    "call": ("duration_seconds", 3601),
    "email": ("cc_addresses", "boss@example.com"),
}


#: Fields the change moves too, which are history: a quote's new discount
#: changes its grand total.
DERIVED_HISTORY = {"quote": ("grand_total",)}


def test_seeded_records_take_a_real_update_through_the_lifecycle(seeded):
    result, ctx = seeded
    assert set(CHANGES) == {t.api_name for t in registry.all_types(ctx)}
    assert not crm_models.OutboxEvent.objects.filter(workspace=result.workspace)
    assert not crm_models.FieldChange.objects.filter(workspace=result.workspace)

    for name, (field, value) in CHANGES.items():
        record = registry.get(ctx, name).queryset(result.workspace).first()
        updated = records.update(ctx, name, record.pk, data={field: value})
        changes = crm_models.FieldChange.objects.filter(record_id=record.pk)
        assert [c.field for c in changes.order_by("pk")] == [
            field,
            *DERIVED_HISTORY.get(name, ()),
        ], name
        assert updated.updated_by_id == ctx.user_id
    events = crm_models.OutboxEvent.objects.filter(workspace=result.workspace)
    # The line item's new discount moves its quote's totals: one more update.
    assert events.count() == len(CHANGES) + 1
    moved = events.filter(object_name="quote").order_by("pk").last()
    assert (moved.event, moved.changed) == ("updated", ["subtotal", "grand_total"])


def test_moving_a_seeded_opportunity_to_won_derives_like_any_other(seeded):
    result, ctx = seeded
    pipeline = registry.get(ctx, "opportunity").pipeline(None)
    won = next(s for s in pipeline.stages if s.kind == "won")
    deal = crm_models.Opportunity.objects.filter(
        workspace=result.workspace, is_closed=False
    ).first()

    updated = records.update(ctx, "opportunity", deal.pk, data={"stage": won.key})

    assert (updated.is_closed, updated.is_won) == (True, True)
    assert updated.probability == won.probability
    kinds = crm_models.OutboxEvent.objects.filter(record_id=deal.pk)
    assert sorted(kinds.values_list("event", flat=True)) == [
        "stage_changed",
        "updated",
    ]


def test_seeded_pipeline_totals_match_the_records(seeded):
    _, ctx = seeded
    for name, stage in (
        ("opportunity", "stage"),
        ("lead", "status"),
        ("case", "status"),
    ):
        body = {"group_by": [stage, "owner"], "metrics": [{"op": "count", "as": "n"}]}
        target = aggregation.AggregateQuery.from_json(ctx, name, body)
        raws = query_totals.answer(ctx, target)
        assert raws is not None
        kept = aggregation._shaped(target, aggregation._sorted(target, raws))
        read = aggregation._shaped(target, aggregation.from_records(ctx, target))
        assert kept.rows == read.rows
        assert (
            sum(row["n"] for row in kept.rows)
            == EXPECTED_COUNTS[registry.get(ctx, name).model]
        )
