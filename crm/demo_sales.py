"""Demo rows of the sales objects: products and prices, accounts, contacts
and opportunities (with line items, quotes and contracts). Each generator
reads the tables of the ones before it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm import demo_pools
from crm import models as crm_models
from crm.demo_rows import DAY, ProductRow, Seeding, Table, stage_weights
from crm.metadata.types import StageSpec

_CENT = Decimal("0.01")
_DISCOUNTS = (None, None, None, Decimal(5), Decimal(10), Decimal(15), Decimal(20))
#: Line items per opportunity: one on average.
_ITEM_COUNTS = (0, 0, 1, 1, 2, 2)


def products(s: Seeding) -> None:
    """The catalog (families from the picklist), with a Standard and a Partner
    price for each product."""
    families = set(s.choices("product", "family"))
    currency = s.workspace.currency
    ts = s.start_ts - 30 * DAY
    number = 0
    for family, name, base_price, max_quantity in demo_pools.PRODUCTS:
        if family not in families:
            continue
        for edition, factor in demo_pools.EDITIONS:
            number += 1
            ts += 60.0
            price = (base_price * factor).quantize(_CENT)
            product = crm_models.Product(
                **s.base(ts, 0),
                name=f"{name} {edition}",
                product_code=f"{family[:3].upper()}-{number:03d}",
                family=family,
                list_price=price,
                is_active=True,
                description=f"{name}, {edition} edition.",
            )
            s.writer.add(product)
            for book, share in (("Standard", Decimal(1)), ("Partner", Decimal("0.8"))):
                s.writer.add(
                    crm_models.Price(
                        **s.base(ts, 0),
                        product_id=product.pk,
                        price_book=book,
                        currency=currency,
                        unit_price=(price * share).quantize(_CENT),
                        is_active=True,
                    )
                )
            s.products.append(ProductRow(product.pk, product.name, price, max_quantity))


#: An account's status follows its type (customers are active ones).
_ACCOUNT_STATUS = {
    crm_models.Account.Type.PROSPECT: crm_models.Account.Status.PROSPECT,
    crm_models.Account.Type.CUSTOMER: crm_models.Account.Status.ACTIVE_CUSTOMER,
}


def accounts(s: Seeding, n: int) -> None:
    """Accounts; about one in twenty is a subsidiary of an older one."""
    rng, pools = s.rng, s.pools
    types = s.choices("account", "type")
    # Earlier choices (prospect, customer) are the common ones.
    types = tuple(v for i, v in enumerate(types) for _ in range(len(types) - i))
    industries = s.choices("account", "industry")
    ratings = s.choices("account", "rating")
    table = s.tables["account"] = Table()
    for i, ts in enumerate(s.times(n)):
        name = demo_pools.company(rng, pools)
        site = demo_pools.domain(rng, name)
        owner = s.sales_owner()
        parent = s.pick(table, ts) if i > 10 and rng.random() < 0.05 else -1
        account = crm_models.Account(
            **s.base(ts, owner),
            **s.address("billing_"),
            name=name,
            account_number=f"ACC-{i + 1:07d}",
            type=rng.choice(types),
            industry=rng.choice(industries),
            annual_revenue=rng.choice(pools.revenues),
            number_of_employees=rng.choice(pools.employees),
            phone=demo_pools.phone(rng),
            website=f"https://www.{site}",
            rating=rng.choice(ratings) if rng.random() < 0.7 else "",
            parent_account_id=table.ids[parent] if parent >= 0 else None,
            description=rng.choice(pools.catch_phrases),
        )
        account.status = _ACCOUNT_STATUS.get(account.type, "")
        s.writer.add(account)
        table.ids.append(account.pk)
        table.times.append(ts)
        table.owners.append(owner)
        table.names.append(name)
        table.emails.append(site)  # the domain its people's addresses use
        s.account_contacts.append([])


def contacts(s: Seeding, n: int) -> None:
    """Contacts, each at an account created before it and owned by the
    account's owner; some report to an older colleague."""
    rng, pools = s.rng, s.pools
    accounts_ = s.tables["account"]
    sources = s.choices("contact", "lead_source")
    table = s.tables["contact"] = Table()
    for i, ts in enumerate(s.times(n)):
        a = s.pick(accounts_, ts)
        first, last, email = s.person(accounts_.emails[a])
        colleagues = s.account_contacts[a]
        boss = rng.choice(colleagues) if colleagues and rng.random() < 0.2 else -1
        birthdate = None
        if rng.random() < 0.3:
            birthdate = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(14_600))
        contact = crm_models.Contact(
            **s.base(ts, accounts_.owners[a]),
            **s.address("mailing_"),
            first_name=first,
            last_name=last,
            email=email,
            phone=demo_pools.phone(rng),
            mobile_phone=demo_pools.phone(rng) if rng.random() < 0.6 else "",
            title=rng.choice(pools.titles),
            department=rng.choice(demo_pools.DEPARTMENTS),
            account_id=accounts_.ids[a],
            reports_to_id=table.ids[boss] if boss >= 0 else None,
            lead_source=rng.choice(sources),
            birthdate=birthdate,
            do_not_call=rng.random() < 0.05,
            has_opted_out_of_email=rng.random() < 0.08,
        )
        s.writer.add(contact)
        colleagues.append(i)
        table.ids.append(contact.pk)
        table.times.append(ts)
        table.owners.append(accounts_.owners[a])
        table.accounts.append(a)
        table.emails.append(email)


def _close(s: Seeding, kind: str, ts: float) -> tuple[dt.date, float | None]:
    """Close date and, for a closed stage, the close time (on that date).

    A deal closes a sales cycle (one week to six months) after it was
    created: open ones from a month ago (overdue) to six months ahead, closed
    ones in the past year. When the cycle would end outside that window, the
    day is drawn uniformly inside it (after the creation).
    """
    rng = s.rng
    created = s.date(ts)
    day = created + dt.timedelta(days=rng.randint(7, 180))
    if kind == "open":
        low = s.today - dt.timedelta(days=30)
        high = s.today + dt.timedelta(days=183)
    else:
        low = s.today - dt.timedelta(days=365)
        high = s.today
    if not low <= day <= high:
        low = max(low, created)
        day = low + dt.timedelta(days=rng.randint(0, (high - low).days))
    if kind == "open":
        return day, None
    at = s.noon(day) + s.rng.uniform(-3, 6) * 3600
    return day, min(s.now_ts, max(ts, at))


def opportunities(s: Seeding, n: int) -> None:
    """Opportunities in every stage of the default pipeline (the first ones
    take each stage in turn), with line items whose total is the amount,
    quotes for some that reached a proposal and contracts for some won."""
    rng, pools = s.rng, s.pools
    pipeline = s.object_type("opportunity").pipeline(None)
    stages = pipeline.stages
    weights = stage_weights(stages, won=0.30, lost=0.25)
    types = s.choices("opportunity", "type")
    sources = s.choices("opportunity", "lead_source")
    forecast = crm_models.Opportunity.ForecastCategory
    accounts_, contacts_ = s.tables["account"], s.tables["contact"]
    table = s.tables["opportunity"] = Table()
    for i, ts in enumerate(s.times(n)):
        stage = stages[i] if i < len(stages) else rng.choices(stages, weights)[0]
        a = s.pick(accounts_, ts)
        c = s.contact_of(a) if rng.random() < 0.85 else -1
        owner = accounts_.owners[a] if rng.random() < 0.7 else s.sales_owner()
        close_date, closed_ts = _close(s, stage.kind, ts)
        base = s.base(ts, owner, updated_ts=closed_ts)
        items = [
            crm_models.OpportunityLineItem(
                **s.base(ts, owner),
                opportunity_id=base["id"],
                product_id=product.id,
                name=product.name,
                quantity=Decimal(rng.randint(1, product.max_quantity)),
                unit_price=product.unit_price,
                discount=rng.choice(_DISCOUNTS),
                service_date=close_date,
            )
            for product in (
                rng.choice(s.products)
                for _ in range(rng.choice(_ITEM_COUNTS) if s.products else 0)
            )
        ]
        for item in items:
            item.derive()
        if stage.kind == "won":
            category = forecast.CLOSED
        elif stage.kind == "lost":
            category = forecast.OMITTED
        elif stage.probability >= 75:
            category = forecast.COMMIT
        elif stage.probability >= 50:
            category = forecast.BEST_CASE
        else:
            category = forecast.PIPELINE
        account_name = accounts_.names[a]
        deal = items[0].name if items else rng.choice(demo_pools.DEAL_NAMES)
        opportunity = crm_models.Opportunity(
            **base,
            name=f"{account_name} - {deal}",
            account_id=accounts_.ids[a],
            contact_id=contacts_.ids[c] if c >= 0 else None,
            amount=(
                sum(item.total_price for item in items)
                if items
                else rng.choice(pools.amounts)
            ),
            close_date=close_date,
            pipeline=pipeline.key,
            stage=stage.key,
            probability=stage.probability,
            type=rng.choice(types),
            forecast_category=category,
            lead_source=rng.choice(sources),
            campaign_id=(
                rng.choice(s.campaigns).pk
                if s.campaigns and rng.random() < 0.2
                else None
            ),
            next_step=rng.choice(demo_pools.NEXT_STEPS) if stage.kind == "open" else "",
            is_closed=stage.kind != "open",
            is_won=stage.kind == "won",
            closed_at=None if closed_ts is None else s.at(closed_ts),
            description=rng.choice(pools.sentences),
        )
        s.writer.add(opportunity)
        for item in items:
            s.writer.add(item)
        table.ids.append(opportunity.pk)
        table.times.append(ts)
        table.owners.append(owner)
        table.accounts.append(a)
        table.contacts.append(c)
        late = stage.kind != "open" or stage.probability >= 50
        quotes = s.writer.count(crm_models.Quote)
        if items and late and (not quotes or rng.random() < 0.2):
            _quote(s, opportunity, stage, items, owner)
        contracts = s.writer.count(crm_models.Contract)
        if stage.kind == "won" and (not contracts or rng.random() < 0.15):
            _contract(s, opportunity, owner)


def _quote(
    s: Seeding,
    opportunity: crm_models.Opportunity,
    stage: StageSpec,
    items: list[crm_models.OpportunityLineItem],
    owner: int,
) -> None:
    """A quote whose status matches how far the opportunity got, with a copy
    of its line items, made between its creation and its close."""
    rng, status = s.rng, crm_models.Quote.Status
    if stage.kind == "won":
        state = status.ACCEPTED
    elif stage.kind == "lost":
        state = rng.choice((status.DENIED, status.REJECTED))
    elif stage.probability >= 75:
        state = rng.choice((status.PRESENTED, status.APPROVED))
    else:
        state = rng.choice((status.DRAFT, status.NEEDS_REVIEW, status.IN_REVIEW))
    created = opportunity.created_at.timestamp()
    end = opportunity.closed_at.timestamp() if opportunity.closed_at else s.now_ts
    ts = created + (end - created) * rng.random() * 0.8
    number = s.writer.count(crm_models.Quote) + 1
    quote = crm_models.Quote(
        **s.base(ts, owner),
        name=f"Q-{number:06d} {opportunity.name}"[:255],
        opportunity_id=opportunity.pk,
        account_id=opportunity.account_id,
        contact_id=opportunity.contact_id,
        status=state,
        expiration_date=s.date(ts) + dt.timedelta(days=30),
    )
    copies = [
        crm_models.QuoteLineItem(
            **s.base(ts, owner),
            quote_id=quote.pk,
            product_id=item.product_id,
            name=item.name,
            quantity=item.quantity,
            unit_price=item.unit_price,
            discount=item.discount,
        )
        for item in items
    ]
    for copy in copies:
        copy.derive()
    # The subtotal the lifecycle keeps (QuoteLineItem.CRM.rollups); derive()
    # makes the grand total of it.
    quote.subtotal = sum((copy.total_price for copy in copies), Decimal(0))
    s.writer.add(quote)
    for copy in copies:
        s.writer.add(copy)


def _contract(s: Seeding, opportunity: crm_models.Opportunity, owner: int) -> None:
    """The contract of a won deal: it starts at (or soon after) the close, and
    its status follows its dates (a few were terminated early)."""
    rng, status = s.rng, crm_models.Contract.Status
    signed = opportunity.close_date
    contract = crm_models.Contract(
        **s.base(opportunity.closed_at.timestamp(), owner),
        name=f"{opportunity.name} - Subscription Agreement"[:255],
        contract_number=f"CTR-{s.writer.count(crm_models.Contract) + 1:07d}",
        account_id=opportunity.account_id,
        start_date=signed + dt.timedelta(days=rng.randint(0, 14)),
        term_months=rng.choice((12, 12, 24, 36)),
        owner_expiration_notice=rng.choice((30, 60, 90)),
        customer_signed_by_id=opportunity.contact_id,
        customer_signed_date=signed,
        company_signed_date=min(s.today, signed + dt.timedelta(days=rng.randint(0, 3))),
    )
    contract.derive()
    if contract.start_date > s.today:
        contract.status = rng.choice((status.DRAFT, status.IN_APPROVAL))
    elif contract.end_date < s.today:
        contract.status = status.EXPIRED
    elif rng.random() < 0.03:
        contract.status = status.TERMINATED
    else:
        contract.status = status.ACTIVATED
    s.writer.add(contract)
