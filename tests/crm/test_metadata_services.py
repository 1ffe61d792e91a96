import pytest

from accounts import errors
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.models import FieldDefinition, ObjectDefinition, ValidationRule


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"api_name": "account", "label": "Again"},
            "api_name",
            "'account' is already taken.",
        ),
        ({"api_name": "x", "label": "X"}, "api_name", "'x' is not a valid api name."),
        (
            {"api_name": "gadget", "label": "Gadget", "prefix": "acc"},
            "prefix",
            "'acc' is already taken.",
        ),
        ({"api_name": "gadget", "label": " "}, "label", "A label is required."),
    ],
)
def test_a_bad_custom_object_is_refused_and_nothing_is_written(
    ctx, kwargs, field, message
):
    with pytest.raises(errors.ValidationFailed) as caught:
        metadata.create_object(ctx, **kwargs)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert not ObjectDefinition.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "name", "label": "Name", "type": "text"}, "name"),
        ({"name": "parent_account_id", "label": "P", "type": "text"}, "name"),
        ({"name": "tier", "label": "Tier", "type": "colour"}, "type"),
        ({"name": "tier", "label": "Tier", "type": "picklist"}, "choices"),
        (
            {
                "name": "tier",
                "label": "Tier",
                "type": "picklist",
                "choices": ["a", "a"],
            },
            "choices",
        ),
        (
            {"name": "ref", "label": "Ref", "type": "lookup", "target": "nothing"},
            "target",
        ),
        (
            {"name": "size", "label": "Size", "type": "number", "default": "big"},
            "default",
        ),
    ],
)
def test_a_bad_custom_field_is_refused_and_nothing_is_written(ctx, kwargs, field):
    version = ctx.workspace.metadata_version
    with pytest.raises(errors.ValidationFailed) as caught:
        metadata.create_field(ctx, "account", **kwargs)
    assert caught.value.field == field
    assert not FieldDefinition.objects.filter(object_name="account").exists()
    ctx.workspace.refresh_from_db()
    assert ctx.workspace.metadata_version == version


def test_a_validation_rule_with_an_unknown_field_is_refused(ctx):
    with pytest.raises(errors.ValidationFailed) as caught:
        metadata.create_validation_rule(
            ctx,
            "opportunity",
            name="r",
            condition=[["nope", "=", 1]],
            error_message="m",
        )
    assert caught.value.field == "nope"
    assert not ValidationRule.objects.exists()


def test_a_validation_rule_with_a_bad_operator_is_refused(ctx):
    with pytest.raises(
        errors.ValidationFailed, match="'contains' does not apply to amount"
    ):
        metadata.create_validation_rule(
            ctx,
            "opportunity",
            name="r",
            condition=[["amount", "contains", "1"]],
            error_message="m",
        )


def test_deleting_a_custom_field_removes_it_from_the_type(ctx):
    metadata.create_field(ctx, "account", name="tier", label="Tier", type="text")
    metadata.delete_field(ctx, "account", "tier")
    assert "tier" not in registry.get(ctx, "account").fields
    with pytest.raises(errors.NotFound):
        metadata.delete_field(ctx, "account", "tier")


def test_a_new_default_pipeline_becomes_the_default(ctx):
    metadata.create_pipeline(
        ctx,
        "case",
        key="vip",
        label="VIP",
        is_default=True,
        stages=[{"key": "open"}, {"key": "done", "kind": "won"}],
    )
    assert registry.get(ctx, "case").pipeline(None).key == "vip"
    with pytest.raises(errors.ValidationFailed, match="has no pipeline"):
        metadata.create_pipeline(
            ctx, "account", key="x", label="X", stages=[{"key": "a"}]
        )


PLACES = "Decimal places are a whole number from 0 to 6."


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"type": "number", "decimal_places": -1}, "decimal_places", PLACES),
        ({"type": "currency", "decimal_places": 7}, "decimal_places", PLACES),
        ({"type": "percent", "decimal_places": 1.5}, "decimal_places", PLACES),
        ({"type": "number", "decimal_places": True}, "decimal_places", PLACES),
        (
            {"type": "text", "decimal_places": 2},
            "decimal_places",
            "A Text field has no decimal places.",
        ),
        (
            {"type": "text", "max_length": 0},
            "max_length",
            "The maximum length is a whole number from 1 to 255.",
        ),
        (
            {"type": "phone", "max_length": 41},
            "max_length",
            "The maximum length is a whole number from 1 to 40.",
        ),
        (
            {"type": "long_text", "max_length": -5},
            "max_length",
            "The maximum length is a whole number from 1 to 32000.",
        ),
        (
            {"type": "number", "max_length": 10},
            "max_length",
            "A Number field has no maximum length.",
        ),
    ],
)
def test_field_options_out_of_range_are_refused_naming_the_option(
    ctx, kwargs, field, message
):
    version = ctx.workspace.metadata_version
    with pytest.raises(errors.ValidationFailed) as caught:
        metadata.create_field(ctx, "account", name="size", label="Size", **kwargs)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert not FieldDefinition.objects.exists()
    ctx.workspace.refresh_from_db()
    assert ctx.workspace.metadata_version == version


def test_field_options_at_their_limits_are_kept(ctx):
    metadata.create_field(
        ctx, "account", name="ratio", label="Ratio", type="number", decimal_places=6
    )
    metadata.create_field(
        ctx, "account", name="whole", label="Whole", type="number", decimal_places=0
    )
    metadata.create_field(
        ctx, "account", name="code", label="Code", type="text", max_length=255
    )
    fields = registry.get(ctx, "account").fields
    assert (fields["ratio"].decimal_places, fields["whole"].decimal_places) == (6, 0)
    assert fields["code"].max_length == 255
