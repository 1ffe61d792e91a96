"""Benchmark of the v1 API over HTTP (gunicorn) against bare baselines served
by the same server, measured in the same run.

    DATABASE_URL=postgres://… .venv/bin/python bench/api_bench.py [--runs N]

Needs a PostgreSQL database seeded with ``manage.py seed_demo --records N``
(the workspace with the most opportunities is used). The script starts
gunicorn on 127.0.0.1 (one worker, one thread, keep-alive) with this module as
its WSGI application: the app's own URLs plus two baselines under
``/bench/``:

- ``/bench/raw/opportunities``: a bare Django view running the hand-written
  SQL of the list below, rows to JSON with orjson;
- ``/bench/drf/opportunities/<pk>``: a bare DRF ``RetrieveAPIView`` with a
  ``ModelSerializer`` of every field (no authentication), and the same with
  the API's Bearer authentication (``/bench/drf-auth/…``).

Each figure is the median of warm runs, the two sides requested alternately
over one keep-alive connection each; the answers are checked to hold the same
rows before timing. The first run adds the index the list needs
(``bench_opp_ws_amount``: workspace, amount desc, id desc, live rows), as a
deployment whose users sort by amount would.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
import http.client  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from urllib.parse import quote  # noqa: E402

import orjson  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.decorators import login_not_required  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework import generics, serializers  # noqa: E402
from rest_framework.permissions import AllowAny  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402

from api.common.auth import BearerAuthentication  # noqa: E402
from crm.models import Opportunity  # noqa: E402

OPEN = ["qualification", "proposal", "negotiation"]
FLOOR = 1000
PAGE = 200
FIELDS = ["name", "amount", "stage", "close_date", "owner"]
INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_opp_ws_amount ON crm_opportunity "
    "(workspace_id, amount DESC, id DESC) WHERE deleted_at IS NULL"
)

# -- the baselines (served by gunicorn) ------------------------------------------

LIST_SQL = (
    "SELECT id, name, amount, stage, close_date, owner_id FROM crm_opportunity "
    "WHERE workspace_id = %s AND deleted_at IS NULL AND stage = ANY(%s) "
    "AND amount > %s ORDER BY amount DESC NULLS FIRST, id DESC LIMIT %s"
)


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


@login_not_required
def raw_list(request) -> HttpResponse:
    """The list by hand: one SQL statement, rows as the API shows them."""
    with connection.cursor() as cursor:
        cursor.execute(LIST_SQL, [request.GET["workspace"], OPEN, FLOOR, PAGE + 1])
        found = cursor.fetchall()
    rows = [
        {
            "id": f"opp_{pk.hex}",
            "name": name,
            "amount": _number(amount),
            "stage": stage,
            "close_date": close.isoformat() if close else None,
            "owner_id": f"usr_{owner.hex}" if owner else None,
        }
        for pk, name, amount, stage, close, owner in found[:PAGE]
    ]
    body = {"results": rows, "has_more": len(found) > PAGE}
    return HttpResponse(orjson.dumps(body), content_type="application/json")


#: Every field of an opportunity as the API lists it by default, with how the
#: value converts (``column:kind``): an id's prefix, n(umber), t(imestamp),
#: d(ate), or as it is.
_COLUMNS = """
id:opp owner_id:usr created_at:t updated_at:t created_by_id:usr updated_by_id:usr
name account_id:acc contact_id:con amount:n close_date:d pipeline stage
probability:n type forecast_category lead_source campaign_id:cmp next_step
is_closed is_won closed_at:t description
"""
ALL = [
    (column, column, kind or None)
    for column, _, kind in (word.partition(":") for word in _COLUMNS.split())
]
ALL.append(("(custom ->> 'arr')::numeric", "arr", "n"))
ALL_SQL = LIST_SQL.replace(
    "id, name, amount, stage, close_date, owner_id",
    ", ".join(column for column, _, _ in ALL),
)


def _moment(value: dt.datetime | None):
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _convert(kind: str | None):
    if kind is None:
        return None
    if kind == "n":
        return _number
    if kind == "t":
        return _moment
    if kind == "d":
        return lambda value: value.isoformat() if value else None
    head = f"{kind}_"
    return lambda value: head + value.hex if value else None


_ALL_CONVERT = [(key, _convert(kind)) for _, key, kind in ALL]


@login_not_required
def raw_list_all(request) -> HttpResponse:
    """The list of every field by hand."""
    with connection.cursor() as cursor:
        cursor.execute(ALL_SQL, [request.GET["workspace"], OPEN, FLOOR, PAGE + 1])
        found = cursor.fetchall()
    rows = [
        {
            key: value if convert is None else convert(value)
            for (key, convert), value in zip(_ALL_CONVERT, row, strict=True)
        }
        for row in found[:PAGE]
    ]
    body = {"results": rows, "has_more": len(found) > PAGE}
    return HttpResponse(orjson.dumps(body), content_type="application/json")


class OpportunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Opportunity
        fields = "__all__"


class BareRetrieve(generics.RetrieveAPIView):
    """DRF's own retrieve: a ModelSerializer of every field."""

    queryset = Opportunity.objects.all()
    serializer_class = OpportunitySerializer
    authentication_classes = ()
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer,)


class AuthRetrieve(BareRetrieve):
    """The same, behind the API's Bearer authentication."""

    authentication_classes = (BearerAuthentication,)


def _open(view):
    view.login_required = False
    return view


@login_not_required
def ping(request) -> HttpResponse:
    """Tells the driver that this server (not another on the port) is up."""
    return HttpResponse(b"api_bench")


urlpatterns = [
    path("bench/ping", ping),
    path("bench/raw/opportunities", raw_list),
    path("bench/raw-all/opportunities", raw_list_all),
    path("bench/drf/opportunities/<uuid:pk>", _open(BareRetrieve.as_view())),
    path("bench/drf-auth/opportunities/<uuid:pk>", _open(AuthRetrieve.as_view())),
    path("", include("config.urls")),
]

if __name__ != "__main__":  # imported by gunicorn: serve these URLs
    settings.ROOT_URLCONF = __name__
    application = get_wsgi_application()


# -- the driver ------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url: str) -> bytes:
        self.conn.request("GET", url, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {body[:300]!r}")
        return body


def timed(first, second, runs: int):
    """Median milliseconds of two callables run alternately after a warm-up,
    and their last answers."""
    for _ in range(5):
        out_a, out_b = first(), second()
    a, b = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out_a = first()
        a.append(time.perf_counter() - started)
        started = time.perf_counter()
        out_b = second()
        b.append(time.perf_counter() - started)
    return statistics.median(a) * 1000, statistics.median(b) * 1000, out_a, out_b


def _setup():
    from accounts import access, credentials
    from accounts.models import Membership, Workspace

    sizes = {
        ws: Opportunity.objects.filter(workspace=ws, deleted_at__isnull=True).count()
        for ws in Workspace.objects.all()
    }
    if not sizes or max(sizes.values()) == 0:
        sys.exit("No seeded workspace: run manage.py seed_demo --records N first.")
    workspace = max(sizes, key=sizes.get)
    owner = (
        Membership.objects.filter(workspace=workspace, profile__is_admin=True)
        .select_related("user")
        .order_by("joined_at")
        .first()
        .user
    )
    ctx = access.context_for_user(owner, workspace)
    _, token = credentials.issue_pat(
        ctx, name="api_bench", rate_limit=10_000_000, expires_at=_soon()
    )
    with connection.cursor() as cursor:
        cursor.execute(INDEX)
        cursor.execute("ANALYZE crm_opportunity")
    one = (
        Opportunity.objects.filter(workspace=workspace, deleted_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    return workspace, sizes[workspace], token, one


def _soon() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)


def _serve(port: int) -> subprocess.Popen:
    env = dict(os.environ, DEBUG="false", PYTHONPATH=str(ROOT / "bench"))
    env.setdefault("LOG_LEVEL", "WARNING")
    options = (
        f"--chdir={ROOT} --bind=127.0.0.1:{port} --workers=1 --threads=1 "
        "--worker-class=gthread --keep-alive=60 --no-control-socket "
        "--log-level=warning"
    )
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "api_bench:application", *options.split()], env=env
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/bench/ping")
            if conn.getresponse().read() == b"api_bench":
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    sys.exit("gunicorn did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=201)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    workspace, size, token, one = _setup()
    connection.close()
    print(f"workspace {workspace.name!r}: {size:,} opportunities")
    args.port = args.port or _free_port()
    server = _serve(args.port)
    try:
        api, bare = Client(args.port, token), Client(args.port)
        filters = quote(
            orjson.dumps([["stage", "in", OPEN], ["amount", ">", FLOOR]]).decode()
        )
        api_list = (
            f"/api/v1/opportunities?fields={','.join(FIELDS)}&filters={filters}"
            f"&sort=-amount&limit={PAGE}"
        )
        raw = f"/bench/raw/opportunities?workspace={workspace.pk}"
        results = []

        def figure(name, target, first, second, same):
            ms_a, ms_b, out_a, out_b = timed(first, second, args.runs)
            same(orjson.loads(out_a), orjson.loads(out_b))
            results.append((name, ms_a, ms_b, ms_a / ms_b, target))

        def same_page(a, b):
            for x, y in zip(a["results"], b["results"], strict=True):
                keys = {*x, *y}
                differ = {k: (x.get(k), y.get(k)) for k in keys if x.get(k) != y.get(k)}
                assert not differ, f"the pages differ: {differ}"
            assert len(a["results"]) == PAGE
            assert a["has_more"] == b["has_more"]

        figure(
            "list: 2 filters + sort, 200 rows",
            2.0,
            lambda: api.get(api_list),
            lambda: bare.get(raw),
            same_page,
        )

        figure(
            "list: same, every field",
            2.0,
            lambda: api.get(
                f"/api/v1/opportunities?filters={filters}&sort=-amount&limit={PAGE}"
            ),
            lambda: bare.get(raw.replace("/raw/", "/raw-all/")),
            same_page,
        )

        def same_record(a, b):
            assert a["id"] == f"opp_{one.hex}"
            assert a["name"] == b["name"]

        record = f"/api/v1/opportunities/opp_{one.hex}"
        figure(
            "GET {id} vs bare DRF retrieve",
            1.0,
            lambda: api.get(record),
            lambda: bare.get(f"/bench/drf/opportunities/{one}"),
            same_record,
        )
        authed = Client(args.port, token)
        figure(
            "GET {id} vs DRF retrieve + Bearer auth",
            1.0,
            lambda: api.get(record),
            lambda: authed.get(f"/bench/drf-auth/opportunities/{one}"),
            same_record,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print()
    print(f"{'figure':<42} {'API ms':>8} {'baseline ms':>12} {'ratio':>6}  target")
    for name, ms_api, ms_base, ratio, target in results:
        verdict = "ok" if ratio <= target else "MISSED"
        print(
            f"{name:<42} {ms_api:>8.2f} {ms_base:>12.2f} {ratio:>6.2f}  "
            f"≤ {target} {verdict}"
        )


if __name__ == "__main__":
    main()
