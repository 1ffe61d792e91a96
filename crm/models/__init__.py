"""CRM models: standard objects, metadata and the rows the lifecycle writes."""

from crm.models.activity import Call, EmailMessage, Event, Note, Task
from crm.models.commerce import (
    Contract,
    OpportunityLineItem,
    Price,
    Product,
    Quote,
    QuoteLineItem,
)
from crm.models.jobs import Job, JobChunk, JobError
from crm.models.metadata import (
    FieldDefinition,
    ObjectDefinition,
    Pipeline,
    Stage,
    ValidationRule,
)
from crm.models.sales import (
    Account,
    Campaign,
    CampaignMember,
    Contact,
    Lead,
    Opportunity,
)
from crm.models.service import Case
from crm.models.sharing import ObjectSharing, SharingRule
from crm.models.system import (
    Association,
    Counter,
    CustomRecord,
    Deletion,
    FieldChange,
    OutboxEvent,
    StageTotal,
)
from crm.models.views import SavedView

#: Built-in objects in navigation order; the registry derives their types.
STANDARD_MODELS = (
    Account,
    Contact,
    Lead,
    Opportunity,
    OpportunityLineItem,
    Product,
    Price,
    Quote,
    QuoteLineItem,
    Contract,
    Case,
    Campaign,
    CampaignMember,
    Task,
    Event,
    Note,
    Call,
    EmailMessage,
)

__all__ = [
    "STANDARD_MODELS",
    "Account",
    "Association",
    "Call",
    "Campaign",
    "CampaignMember",
    "Case",
    "Contact",
    "Contract",
    "Counter",
    "CustomRecord",
    "Deletion",
    "EmailMessage",
    "Event",
    "FieldChange",
    "FieldDefinition",
    "Job",
    "JobChunk",
    "JobError",
    "Lead",
    "Note",
    "ObjectDefinition",
    "ObjectSharing",
    "Opportunity",
    "OpportunityLineItem",
    "OutboxEvent",
    "Pipeline",
    "Price",
    "Product",
    "Quote",
    "QuoteLineItem",
    "SavedView",
    "SharingRule",
    "Stage",
    "StageTotal",
    "Task",
    "ValidationRule",
]
