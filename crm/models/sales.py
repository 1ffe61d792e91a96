"""Sales objects: accounts, contacts, campaigns (and their members), leads
and opportunities. Products, price book entries, line items, quotes and
contracts are in ``crm.models.commerce``.

Each model's inner ``CRM`` class names the object for the registry: api name,
plural, id prefix, HubSpot type id, and the field-type hints a column alone
cannot give, and the rules the lifecycle checks beyond single fields
(``crm.records.validation``): ``transitions`` (field → value → the values it
may change to), ``required_one_of`` (groups of fields of which one must be
set) and ``unique_together`` (groups of lookups whose values together are
unique among live records). It may also declare values the lifecycle keeps:
``rollups`` (lookup → field of the parent → (``sum``, ``count``, ``min`` or
``max``, field of this object): a figure of the parent over its live
children, ``crm.records.rollups``), ``auto_numbers`` (field → (format, first
number): a number per workspace given on create, ``crm.records.numbering``)
and ``tracked`` (read-only fields whose changes are history all the same).
``on_delete`` of a foreign key says what a soft delete does: CASCADE goes to
the bin with the parent, PROTECT refuses the delete.
"""

from django.db import models

from crm.models import choices
from crm.models.base import (
    Address,
    BillingAddress,
    MailingAddress,
    StandardRecord,
    money,
    percent,
)


class Account(BillingAddress, StandardRecord):
    class Type(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        CUSTOMER = "customer", "Customer"
        PARTNER = "partner", "Partner"
        VENDOR = "vendor", "Vendor"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ACTIVE_CUSTOMER = "active_customer", "Active Customer"
        INACTIVE_CUSTOMER = "inactive_customer", "Inactive Customer"
        FORMER_CUSTOMER = "former_customer", "Former Customer"

    name = models.CharField("account name", max_length=255)
    account_number = models.CharField(max_length=40, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, blank=True)
    industry = models.CharField(
        max_length=40, choices=choices.Industry.choices, blank=True
    )
    annual_revenue = money()
    number_of_employees = models.PositiveIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(max_length=255, blank=True)
    rating = models.CharField(max_length=10, choices=choices.Rating.choices, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    parent_account = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    description = models.TextField(blank=True)

    class CRM:
        api_name = "account"
        plural = "accounts"
        prefix = "acc"
        hubspot_type_id = "0-2"
        field_types = {"phone": "phone", "annual_revenue": "currency"}

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="account_list",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(MailingAddress, StandardRecord):
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80)
    name = models.CharField("full name", max_length=161, blank=True, editable=False)
    email = models.EmailField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile_phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=128, blank=True)
    department = models.CharField(max_length=80, blank=True)
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    lead_source = models.CharField(
        max_length=30, choices=choices.LeadSource.choices, blank=True
    )
    birthdate = models.DateField(null=True, blank=True)
    do_not_call = models.BooleanField(default=False)
    has_opted_out_of_email = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class CRM:
        api_name = "contact"
        plural = "contacts"
        prefix = "con"
        hubspot_type_id = "0-1"
        field_types = {"phone": "phone", "mobile_phone": "phone"}

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="contact_list",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def derive(self) -> None:
        self.name = " ".join(p for p in (self.first_name, self.last_name) if p)


class Campaign(StandardRecord):
    class Type(models.TextChoices):
        EMAIL = "email", "Email"
        WEBINAR = "webinar", "Webinar"
        CONFERENCE = "conference", "Conference"
        ADVERTISEMENT = "advertisement", "Advertisement"
        PARTNERS = "partners", "Partners"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    name = models.CharField("campaign name", max_length=255)
    type = models.CharField(max_length=20, choices=Type.choices, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    budgeted_cost = money()
    actual_cost = money()
    expected_revenue = money()
    is_active = models.BooleanField(default=True)
    parent_campaign = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    description = models.TextField(blank=True)

    class CRM:
        api_name = "campaign"
        plural = "campaigns"
        prefix = "cmp"
        field_types = {
            "budgeted_cost": "currency",
            "actual_cost": "currency",
            "expected_revenue": "currency",
        }

    def __str__(self) -> str:
        return self.name


class Lead(Address, StandardRecord):
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80)
    name = models.CharField("full name", max_length=161, blank=True, editable=False)
    company = models.CharField(max_length=255)
    title = models.CharField(max_length=128, blank=True)
    email = models.EmailField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile_phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(max_length=255, blank=True)
    industry = models.CharField(
        max_length=40, choices=choices.Industry.choices, blank=True
    )
    annual_revenue = money()
    number_of_employees = models.PositiveIntegerField(null=True, blank=True)
    lead_source = models.CharField(
        max_length=30, choices=choices.LeadSource.choices, blank=True
    )
    rating = models.CharField(max_length=10, choices=choices.Rating.choices, blank=True)
    pipeline = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=60)
    is_converted = models.BooleanField(default=False, editable=False)
    converted_at = models.DateTimeField(null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_opportunity = models.ForeignKey(
        "crm.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    description = models.TextField(blank=True)

    class CRM:
        api_name = "lead"
        plural = "leads"
        prefix = "lead"
        hubspot_type_id = "0-136"
        pipeline_field = "status"
        field_types = {
            "phone": "phone",
            "mobile_phone": "phone",
            "annual_revenue": "currency",
            "pipeline": "picklist",
            "status": "picklist",
        }

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="lead_list",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    def derive(self) -> None:
        self.name = " ".join(p for p in (self.first_name, self.last_name) if p)


class Opportunity(StandardRecord):
    class Type(models.TextChoices):
        NEW_BUSINESS = "new_business", "New business"
        EXISTING_BUSINESS = "existing_business", "Existing business"
        RENEWAL = "renewal", "Renewal"

    class ForecastCategory(models.TextChoices):
        PIPELINE = "pipeline", "Pipeline"
        BEST_CASE = "best_case", "Best case"
        COMMIT = "commit", "Commit"
        CLOSED = "closed", "Closed"
        OMITTED = "omitted", "Omitted"

    name = models.CharField("opportunity name", max_length=255)
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    amount = money()
    close_date = models.DateField()
    pipeline = models.CharField(max_length=60, blank=True)
    stage = models.CharField(max_length=60)
    probability = percent()
    type = models.CharField(max_length=30, choices=Type.choices, blank=True)
    forecast_category = models.CharField(
        max_length=20, choices=ForecastCategory.choices, blank=True
    )
    lead_source = models.CharField(
        max_length=30, choices=choices.LeadSource.choices, blank=True
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    next_step = models.CharField(max_length=255, blank=True)
    is_closed = models.BooleanField(default=False, editable=False)
    is_won = models.BooleanField(default=False, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    description = models.TextField(blank=True)

    class CRM:
        api_name = "opportunity"
        plural = "opportunities"
        label_plural = "Opportunities"
        prefix = "opp"
        hubspot_type_id = "0-3"
        pipeline_field = "stage"
        amount_field = "amount"
        field_types = {
            "amount": "currency",
            "probability": "percent",
            "pipeline": "picklist",
            "stage": "picklist",
        }

    class Meta:
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="opportunity_list",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["workspace", "-amount", "-id"],
                name="opportunity_amount",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["workspace", "close_date"],
                name="opportunity_close",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # A one-owner board: its stage totals are an index-only scan of
            # the owner's deals, each column's cards (largest amount first,
            # keyset on amount and id) a range read.
            models.Index(
                fields=["workspace", "owner", "pipeline", "stage", "-amount", "-id"],
                name="opportunity_board",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # The home page's "my open deals" by stage and by close month.
            models.Index(
                fields=["workspace", "owner", "close_date"],
                include=["stage", "amount"],
                name="opportunity_open_owner",
                condition=models.Q(deleted_at__isnull=True, is_closed=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignMember(StandardRecord):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENT = "sent", "Sent"
        RESPONDED = "responded", "Responded"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="members"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    has_responded = models.BooleanField(default=False)
    first_responded_date = models.DateField(null=True, blank=True)

    class CRM:
        api_name = "campaign_member"
        navigation = False
        plural = "campaign_members"
        prefix = "cmm"
        name_field = "status"
        #: A member is a contact or a lead, each at most once per campaign.
        required_one_of = (("contact", "lead"),)
        unique_together = (("campaign", "contact"), ("campaign", "lead"))

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.contact_id or self.lead_id}"
