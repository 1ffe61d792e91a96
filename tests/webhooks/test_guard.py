"""The SSRF guard, when a webhook is saved (400 in the envelope) and again
when a connection is made (DNS rebinding, odd address forms)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from crm import records
from tests.api.conftest import ApiClient, pat
from tests.webhooks.conftest import subscribe
from webhooks import deliveries, dispatch, guard, transport
from webhooks.models import Delivery, Subscription

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://0177.0.0.1/hook",
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    "http://0x7f000001/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:8.8.8.8]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[2002:7f00:1::1]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "gopher://93.184.215.14/",
    "javascript:alert(1)",
    "http://user:secret@93.184.215.14/hook",
    "http://user@93.184.215.14/hook",
    "http:///hook",
    "http://93.184.215.14 /hook",
]


@pytest.fixture
def nothing_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []


@pytest.fixture
def fake_dns(monkeypatch):
    """Names resolve to what the test says (the real resolver otherwise)."""
    answers: dict[str, list[str]] = {}
    real = guard.resolve

    def resolve(host, port):
        if host in answers:
            return [ipaddress.ip_address(a) for a in answers[host]]
        return real(host, port)

    monkeypatch.setattr(guard, "resolve", resolve)
    return answers


@pytest.mark.parametrize("url", REFUSED)
def test_creating_a_webhook_to_a_refused_url_is_a_400_naming_url(
    ctx, nothing_allowed, url
):
    api = ApiClient(pat(ctx))
    body = {"name": "x", "object": "crm_contract", "url": url}
    answer = api.post("/api/v1/webhooks", body)
    assert answer.status_code == 400, answer.json()
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["field"] == "url"
    assert error["request_id"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.215.14/hook",
        "http://[2606:4700:4700::1111]/hook",
        "https://hooks.example.test/path?x=1",
    ],
)
def test_public_addresses_and_names_are_accepted(ctx, nothing_allowed, fake_dns, url):
    fake_dns["hooks.example.test"] = ["93.184.215.14"]
    guard.check_url(url)


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    nothing_allowed, fake_dns
):
    fake_dns["mixed.example.test"] = ["93.184.215.14", "10.1.2.3"]
    with pytest.raises(guard.Refused, match=r"10\.1\.2\.3"):
        guard.check_url("https://mixed.example.test/")


def test_an_unresolvable_name_is_refused(nothing_allowed):
    with pytest.raises(guard.Refused, match="could not be resolved"):
        guard.check_url("https://no-such-host.invalid/")


def test_an_allowed_host_may_be_private(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost", "10.0.0.5"]
    guard.check_url("http://localhost:8080/hook")
    guard.check_url("http://10.0.0.5/hook")
    with pytest.raises(guard.Refused):
        guard.check_url("http://10.0.0.6/hook")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "0177.0.0.1",
        "2130706433",
        "0x7f.1",
        "127.1",
        "localhost",
        "[::ffff:127.0.0.1]",
        "[::1]",
    ],
)
def test_the_connection_refuses_the_same_forms(receiver, nothing_allowed, address):
    port = receiver.server.server_port
    outcome = transport.post(f"http://{address}:{port}/hook", b"{}", {})
    assert outcome.refused is True
    assert outcome.retryable is False
    assert outcome.status_code is None
    assert receiver.received == []


def test_dns_rebinding_to_loopback_is_refused_at_connect_time(
    ctx, receiver, settings, fake_dns
):
    port = receiver.server.server_port
    fake_dns["hooks.example.test"] = ["93.184.215.14"]
    settings.WEBHOOK_ALLOWED_HOSTS = []
    subscribe(
        ctx,
        receiver,
        object_name="account",
        url=f"http://hooks.example.test:{port}/hook",
    )
    fake_dns["hooks.example.test"] = ["127.0.0.1"]  # the name now points inside
    records.create(ctx, "account", data={"name": "Acme"})
    dispatch.run()
    deliveries.send_due()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "127.0.0.1" in delivery.error
    assert "public" in delivery.error
    assert receiver.received == []


def test_an_allowed_name_connects_to_the_checked_address_with_its_own_host_header(
    ctx, receiver, settings, fake_dns
):
    port = receiver.server.server_port
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.test"]
    subscribe(
        ctx,
        receiver,
        object_name="account",
        url=f"http://hooks.example.test:{port}/hook",
    )
    records.create(ctx, "account", data={"name": "Acme"})
    dispatch.run()
    deliveries.send_due()
    [got] = receiver.wait_for(1)
    assert got.headers["host"] == f"hooks.example.test:{port}"
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def _tls_receiver(tmp_path, name: str):
    """An HTTPS server on 127.0.0.1 with a certificate for ``name`` only."""
    pytest.importorskip("cryptography")  # installed with django-oauth-toolkit
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    seen = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers["Host"])
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    trust = ssl.create_default_context(cafile=str(cert_file))
    return server, trust, seen


def test_tls_to_a_pinned_address_checks_the_certificate_against_the_name(
    tmp_path, settings, fake_dns, monkeypatch
):
    server, trust, seen = _tls_receiver(tmp_path, "hooks.example.test")
    pool = transport.GuardedTransport(limits=httpx.Limits(), verify=trust)
    monkeypatch.setattr(transport, "_transport", pool)
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.test", "127.0.0.1"]
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    port = server.server_port
    try:
        by_name = transport.post(f"https://hooks.example.test:{port}/h", b"{}", {})
        by_address = transport.post(f"https://127.0.0.1:{port}/h", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()
    assert by_name.status_code == 204
    assert seen == [f"hooks.example.test:{port}"]
    assert by_address.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in by_address.error
