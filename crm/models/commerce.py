"""Commerce objects: products and their price book entries, opportunity and
quote line items, quotes and contracts (see ``crm.models.sales`` for what a
model's ``CRM`` class and its foreign keys' ``on_delete`` mean)."""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import models

from crm.models.base import BillingAddress, StandardRecord, money, percent
from crm.models.sales import Account, Contact, Opportunity


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
    list_price = money()
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
    discount = percent()
    total_price = money(editable=False)
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
    discount = percent()
    tax = money()
    shipping_handling = money()
    #: The sum of the total prices of the quote's live line items (not those
    #: in the recycle bin), kept by the lifecycle: see ``QuoteLineItem.CRM``.
    subtotal = models.DecimalField(
        max_digits=18, decimal_places=2, default=Decimal(0), editable=False
    )
    #: ``subtotal`` less ``discount`` percent, plus ``tax`` and
    #: ``shipping_handling`` (empty ones count as 0), to the cent.
    grand_total = models.DecimalField(
        max_digits=18, decimal_places=2, default=Decimal(0), editable=False
    )
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
            "subtotal": "currency",
            "grand_total": "currency",
        }
        #: Read-only, yet their changes are the quote's history.
        tracked = ("subtotal", "grand_total")

    def __str__(self) -> str:
        return self.name

    def derive(self) -> None:
        subtotal = self.subtotal or Decimal(0)
        off = (self.discount or Decimal(0)) / Decimal(100)
        total = (
            subtotal * (1 - off)
            + (self.tax or Decimal(0))
            + (self.shipping_handling or Decimal(0))
        )
        self.grand_total = total.quantize(Decimal("0.01"))


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
        #: The quote's subtotal is the sum of its live items' total prices.
        rollups = {"quote": {"subtotal": ("sum", "total_price")}}


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
        #: The moves ``status`` may make on an existing contract (a new one
        #: may start anywhere: contracts signed elsewhere are imported).
        transitions = {
            "status": {
                "draft": ("in_approval",),
                "in_approval": ("draft", "activated"),
                "activated": ("terminated", "expired"),
                "terminated": (),
                "expired": (),
            }
        }

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
