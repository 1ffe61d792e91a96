"""Both signature schemes, checked with the receivers' own tools."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import signing

BODY = b'{"event":"contract.updated","event_id":"ev_1"}'


def test_a_generated_secret_verifies_with_the_standardwebhooks_library():
    secret = signing.new_secret()
    headers = signing.headers(secrets=[secret], message_id="ev_1", body=BODY)
    assert Webhook(secret).verify(BODY, headers) == {
        "event": "contract.updated",
        "event_id": "ev_1",
    }
    assert signing.verify(headers["X-Signature"], BODY, secret)


def test_a_chosen_secret_verifies_as_raw_bytes():
    headers = signing.headers(secrets=["shhh"], message_id="ev_1", body=BODY)
    Webhook(b"shhh").verify(BODY, headers)
    assert signing.verify(headers["X-Signature"], BODY, "shhh")


def test_the_x_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    header = signing.x_signature(["shhh"], 1773325391, BODY)
    digest = hmac.new(b"shhh", b"1773325391." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1773325391,v1={digest}"


def test_a_changed_body_an_old_timestamp_or_another_secret_fail():
    secret = signing.new_secret()
    headers = signing.headers(secrets=[secret], message_id="ev_1", body=BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)
    old = signing.headers(
        secrets=[secret], message_id="ev_1", body=BODY, timestamp=int(time.time()) - 600
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, old)
    assert not signing.verify(old["X-Signature"], BODY, secret)
    assert not signing.verify(headers["X-Signature"], BODY + b" ", secret)


def test_during_a_rotation_both_secrets_verify():
    old, new = signing.new_secret(), signing.new_secret()
    headers = signing.headers(secrets=[new, old], message_id="ev_1", body=BODY)
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)
        assert signing.verify(headers["X-Signature"], BODY, secret)
    assert headers["X-Signature"].count("v1=") == 2


def test_the_signature_header_name_can_be_chosen():
    headers = signing.headers(
        secrets=["shhh"], message_id="ev_1", body=BODY, header="X-Hotcrm-Signature"
    )
    assert "X-Hotcrm-Signature" in headers
    assert "X-Signature" not in headers
