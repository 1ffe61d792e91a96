"""Sales objects: accounts, contacts, leads, opportunities, products, quotes,
contracts and campaigns.

Each model's inner ``CRM`` class names the object for the registry: api name,
plural, id prefix, HubSpot type id, and the field-type hints a column alone
cannot give. ``on_delete`` of a foreign key says what a soft delete does:
CASCADE goes to the bin with the parent, PROTECT refuses the delete.
"""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import models

from crm.models import choices
from crm.models.base import Address, BillingAddress, MailingAddress, StandardRecord


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, **kwargs
    )


def _percent(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, **kwargs
    )


class Account(BillingAddress, StandardRecord):
    class Type(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        CUSTOMER = "customer", "Customer"
        PARTNER = "partner", "Partner"
        VENDOR = "vendor", "Vendor"
        OTHER = "other", "Other"

    name = models.CharField("account name", max_length=255)
    account_number = models.CharField(max_length=40, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, blank=True)
    industry = models.CharField(
        max_length=40, choices=choices.Industry.choices, blank=True
    )
    annual_revenue = _money()
    number_of_employees = models.PositiveIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(max_length=255, blank=True)
    rating = models.CharField(max_length=10, choices=choices.Rating.choices, blank=True)
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
    budgeted_cost = _money()
    actual_cost = _money()
    expected_revenue = _money()
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
    annual_revenue = _money()
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
    amount = _money()
    close_date = models.DateField()
    pipeline = models.CharField(max_length=60, blank=True)
    stage = models.CharField(max_length=60)
    probability = _percent()
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
        ]

    def __str__(self) -> str:
        return self.name


class Product(StandardRecord):
    class Family(models.TextChoices):
        SOFTWARE = "software", "Software"
        HARDWARE = "hardware", "Hardware"
        SERVICES = "services", "Services"
        SUPPORT = "support", "Support"
        TRAINING = "training", "Training"

    name = models.CharField("product name", max_length=255)
    product_code = models.CharField(max_length=60, blank=True)
    family = models.CharField(max_length=20, choices=Family.choices, blank=True)
    list_price = _money()
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class CRM:
        api_name = "product"
        plural = "products"
        prefix = "prod"
        hubspot_type_id = "0-7"
        unique = ("product_code",)
        field_types = {"list_price": "currency"}

    def __str__(self) -> str:
        return self.name


class Price(StandardRecord):
    """A price of a product in a named price book (Salesforce's PricebookEntry)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices"
    )
    price_book = models.CharField(max_length=80, default="Standard")
    currency = models.CharField(max_length=3, default="USD")
    unit_price = models.DecimalField(max_digits=18, decimal_places=2)
    is_active = models.BooleanField(default=True)

    class CRM:
        api_name = "price"
        navigation = False
        plural = "prices"
        prefix = "pri"
        name_field = "price_book"
        field_types = {"unit_price": "currency"}

    def __str__(self) -> str:
        return f"{self.price_book} {self.currency} {self.unit_price}"


class LineItem(StandardRecord):
    """A product at a quantity and price, on an opportunity or a quote."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(1))
    unit_price = models.DecimalField(max_digits=18, decimal_places=2)
    discount = _percent()
    total_price = _money(editable=False)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name or str(self.pk)

    def derive(self) -> None:
        if self.quantity is None or self.unit_price is None:
            self.total_price = None
            return
        gross = self.quantity * self.unit_price
        off = (self.discount or Decimal(0)) / Decimal(100)
        self.total_price = (gross * (1 - off)).quantize(Decimal("0.01"))


class OpportunityLineItem(LineItem):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="line_items"
    )
    service_date = models.DateField(null=True, blank=True)

    class CRM:
        api_name = "opportunity_line_item"
        navigation = False
        plural = "opportunity_line_items"
        prefix = "oli"
        hubspot_type_id = "0-8"
        field_types = {
            "quantity": "number",
            "unit_price": "currency",
            "discount": "percent",
            "total_price": "currency",
        }


class Quote(StandardRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NEEDS_REVIEW = "needs_review", "Needs review"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PRESENTED = "presented", "Presented"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"

    name = models.CharField("quote name", max_length=255)
    opportunity = models.ForeignKey(
        Opportunity,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quotes",
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    expiration_date = models.DateField(null=True, blank=True)
    discount = _percent()
    tax = _money()
    shipping_handling = _money()
    description = models.TextField(blank=True)

    class CRM:
        api_name = "quote"
        plural = "quotes"
        prefix = "quo"
        hubspot_type_id = "0-14"
        field_types = {
            "discount": "percent",
            "tax": "currency",
            "shipping_handling": "currency",
        }

    def __str__(self) -> str:
        return self.name


class QuoteLineItem(LineItem):
    quote = models.ForeignKey(
        Quote, on_delete=models.CASCADE, related_name="line_items"
    )

    class CRM:
        api_name = "quote_line_item"
        navigation = False
        plural = "quote_line_items"
        prefix = "qli"
        field_types = {
            "quantity": "number",
            "unit_price": "currency",
            "discount": "percent",
            "total_price": "currency",
        }


class Contract(BillingAddress, StandardRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_APPROVAL = "in_approval", "In approval"
        ACTIVATED = "activated", "Activated"
        TERMINATED = "terminated", "Terminated"
        EXPIRED = "expired", "Expired"

    name = models.CharField("contract name", max_length=255)
    contract_number = models.CharField(max_length=40, blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contracts"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    start_date = models.DateField(null=True, blank=True)
    term_months = models.PositiveIntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, editable=False)
    owner_expiration_notice = models.PositiveIntegerField(
        "expiration notice (days)", null=True, blank=True
    )
    customer_signed_by = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_signed_date = models.DateField(null=True, blank=True)
    company_signed_date = models.DateField(null=True, blank=True)
    special_terms = models.TextField(blank=True)
    description = models.TextField(blank=True)

    class CRM:
        api_name = "contract"
        plural = "contracts"
        prefix = "ctr"

    def __str__(self) -> str:
        return self.name

    def derive(self) -> None:
        if self.start_date is None or self.term_months is None:
            self.end_date = None
        else:
            self.end_date = (
                self.start_date
                + relativedelta(months=self.term_months)
                - timedelta(days=1)
            )


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

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.contact_id or self.lead_id}"
