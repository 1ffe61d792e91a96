"""Value pools for demo data: Faker is asked a few thousand times, once, and
rows are then made by combining pool entries with a seeded ``random.Random``
(a Faker call per row would dominate the seeding time).

Everything here is deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import Decimal

from faker import Faker

COMPANY_SUFFIXES = ("Inc", "LLC", "Group", "Ltd", "Corp", "Holdings", "& Co")
COMPANY_WORDS = (
    "Analytics",
    "Biotech",
    "Capital",
    "Consulting",
    "Dynamics",
    "Energy",
    "Foods",
    "Health",
    "Industries",
    "Labs",
    "Logistics",
    "Manufacturing",
    "Media",
    "Motors",
    "Networks",
    "Partners",
    "Robotics",
    "Software",
    "Solutions",
    "Systems",
    "Technologies",
    "Ventures",
)
TLDS = (".com", ".com", ".com", ".io", ".net", ".co")
DEPARTMENTS = (
    "Executive",
    "Finance",
    "IT",
    "Marketing",
    "Operations",
    "Procurement",
    "Sales",
    "Customer Success",
    "Engineering",
    "Legal",
)
#: (family value, product, base unit price, largest quantity). A family the
#: workspace's picklist lacks is skipped.
PRODUCTS = (
    ("software", "CRM Cloud", 300, 120),
    ("software", "Marketing Automation", 240, 80),
    ("software", "Analytics Suite", 420, 60),
    ("software", "Service Desk", 180, 150),
    ("hardware", "Edge Gateway", 900, 20),
    ("hardware", "Conference Room Kit", 1400, 10),
    ("hardware", "Barcode Scanner", 350, 40),
    ("services", "Implementation", 12_000, 2),
    ("services", "Data Migration", 8_000, 2),
    ("services", "Custom Integration", 15_000, 3),
    ("support", "Premier Support", 6_000, 1),
    ("support", "Extended Support", 3_000, 1),
    ("training", "Admin Training", 2_500, 4),
    ("training", "End-User Workshop", 1_800, 6),
)
EDITIONS = (
    ("Starter", Decimal(1)),
    ("Professional", Decimal("2.5")),
    ("Enterprise", Decimal(6)),
)
DEAL_NAMES = (
    "New Business",
    "Expansion",
    "Renewal",
    "Pilot",
    "Platform Rollout",
    "Upgrade",
    "Regional Rollout",
    "Enterprise Agreement",
)
NEXT_STEPS = (
    "Schedule a demo",
    "Send the proposal",
    "Confirm budget with finance",
    "Security review",
    "Legal review of the MSA",
    "Executive sponsor call",
    "Follow up on pricing",
    "Agree on the rollout plan",
)
CAMPAIGN_THEMES = (
    "Product Launch",
    "Customer Summit",
    "Spring Promotion",
    "Partner Roadshow",
    "Analytics Masterclass",
    "Year-End Offer",
    "Industry Report",
    "Webinar Series",
    "Trade Show",
    "Nurture Track",
)
CASE_SUBJECTS = (
    "Cannot sign in after password reset",
    "Invoice shows the wrong amount",
    "Export to CSV times out",
    "Request for additional licences",
    "Integration sync failing",
    "Dashboard does not load",
    "Question about the renewal terms",
    "Email notifications not delivered",
    "Feature request: bulk edit",
    "Data import rejected rows",
    "Slow performance in list views",
    "How do I add a custom field?",
)
CASE_REASONS = (
    "User didn't attend training",
    "Complex functionality",
    "Existing problem",
    "Instructions not clear",
    "New problem",
    "Billing",
)
TASK_SUBJECTS = (
    "Follow up on the proposal",
    "Send the pricing sheet",
    "Prepare the quarterly review",
    "Call back about the contract",
    "Update the mutual action plan",
    "Book the onsite visit",
    "Send the case study",
    "Check in after onboarding",
    "Confirm the decision makers",
    "Review the security questionnaire",
)
EVENT_SUBJECTS = (
    "Discovery meeting",
    "Product demo",
    "Quarterly business review",
    "Kick-off meeting",
    "Executive briefing",
    "Contract walkthrough",
    "Onsite workshop",
    "Lunch meeting",
)
LOCATIONS = ("Zoom", "Google Meet", "Microsoft Teams", "Customer office", "Our office")
CALL_SUBJECTS = (
    "Discovery call",
    "Follow-up call",
    "Pricing discussion",
    "Check-in call",
    "Renewal call",
    "Support escalation call",
    "Reference call",
)
EMAIL_SUBJECTS = (
    "Proposal attached",
    "Next steps",
    "Pricing for your team",
    "Meeting recap",
    "Your renewal",
    "Introduction",
    "Following up",
    "Contract for signature",
    "Re: your support request",
)
NOTE_TITLES = (
    "Call notes",
    "Meeting notes",
    "Buying process",
    "Competition",
    "Budget",
    "Stakeholders",
    "Risks",
    "Onboarding feedback",
)
_TOPICS = (
    "the rollout timeline",
    "pricing and discounts",
    "the security review",
    "integration with their ERP",
    "renewal terms",
    "the number of seats",
    "a pilot for the EMEA team",
    "reporting requirements",
    "data migration from their old CRM",
    "training for new hires",
)
_OUTCOMES = (
    "They want a revised quote by Friday.",
    "Budget is approved for this quarter.",
    "Legal needs another week.",
    "They are also evaluating a competitor.",
    "The champion will loop in the CFO.",
    "Next meeting is booked.",
    "They asked for two customer references.",
    "No blockers so far.",
)


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only (for emails and domains)."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


@dataclass(frozen=True)
class Pools:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    first_slugs: tuple[str, ...]
    last_slugs: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[str, ...]
    states: tuple[str, ...]
    postcodes: tuple[str, ...]
    titles: tuple[str, ...]
    catch_phrases: tuple[str, ...]
    sentences: tuple[str, ...]
    paragraphs: tuple[str, ...]
    amounts: tuple[Decimal, ...]
    revenues: tuple[Decimal, ...]
    employees: tuple[int, ...]


def build(seed: int) -> Pools:
    """Pools for one seed: a few thousand Faker calls, well under a second."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    first = tuple(sorted({fake.first_name() for _ in range(600)}))
    last = tuple(sorted({fake.last_name() for _ in range(1200)}))
    sentences = tuple(
        f"Discussed {rng.choice(_TOPICS)}. {rng.choice(_OUTCOMES)}" for _ in range(400)
    )
    paragraphs = tuple(
        " ".join(
            (
                f"Spoke with the team about {rng.choice(_TOPICS)}.",
                rng.choice(_OUTCOMES),
                f"Open question: {rng.choice(_TOPICS)}.",
                rng.choice(_OUTCOMES),
            )
        )
        for _ in range(300)
    )
    return Pools(
        first_names=first,
        last_names=last,
        first_slugs=tuple(slug(n) or "x" for n in first),
        last_slugs=tuple(slug(n) or "x" for n in last),
        streets=tuple(fake.street_address() for _ in range(2000)),
        cities=tuple(fake.city() for _ in range(600)),
        states=tuple(fake.state_abbr(include_territories=False) for _ in range(200)),
        postcodes=tuple(fake.postcode() for _ in range(1000)),
        titles=tuple(fake.job()[:128] for _ in range(300)),
        catch_phrases=tuple(fake.catch_phrase() for _ in range(500)),
        sentences=sentences,
        paragraphs=paragraphs,
        # Log-normal, like real deal sizes and company sizes: many small, a few
        # large.
        amounts=tuple(
            Decimal(round(rng.lognormvariate(10.3, 1.0), -2) or 100)
            for _ in range(5000)
        ),
        revenues=tuple(
            Decimal(round(rng.lognormvariate(16.0, 1.6), -3) or 1000)
            for _ in range(5000)
        ),
        employees=tuple(max(1, int(rng.lognormvariate(4.5, 1.5))) for _ in range(5000)),
    )


def company(rng: random.Random, pools: Pools) -> str:
    """A company name from last names and suffixes: many more than Faker's."""
    last = pools.last_names
    pattern = rng.random()
    if pattern < 0.4:
        return f"{rng.choice(last)} {rng.choice(COMPANY_WORDS)}"
    if pattern < 0.7:
        return f"{rng.choice(last)} {rng.choice(COMPANY_SUFFIXES)}"
    if pattern < 0.9:
        return f"{rng.choice(last)}-{rng.choice(last)}"
    return f"{rng.choice(last)}, {rng.choice(last)} and {rng.choice(last)}"


def domain(rng: random.Random, company_name: str) -> str:
    return f"{slug(company_name)[:40] or 'example'}{rng.choice(TLDS)}"


def phone(rng: random.Random) -> str:
    return f"+1 {rng.randrange(201, 990)}-555-{rng.randrange(10000):04d}"
