from crm import records
from crm.metadata import registry
from tests.records import STANDARD_OBJECTS, sample_data


def test_every_standard_object_creates(ctx):
    parents = {}
    order = ["account", "contact", "lead", "campaign", "opportunity", "product", "price",
             "quote", "contract", "case", "campaign_member", "opportunity_line_item",
             "quote_line_item", "task", "event", "note", "call", "email"]
    assert set(order) == set(STANDARD_OBJECTS)
    parents["user"] = ctx.user.pk
    for name in order:
        t = registry.get(ctx, name)
        rec = records.create(ctx, name, data=sample_data(t, parents))
        parents[name] = rec.pk
