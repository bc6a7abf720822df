"""The reference client (examples/sync_client.py) against a live server, as a tablet uses it:
initial sync, calls logged offline, an upload whose first answer is lost (retried, no
duplicate), then an incremental sync that sees the calls and a customer leaving the rep."""

import importlib.util
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from calls.models import Call
from customers import services as customer_services
from customers.models import Alignment
from tests.conftest import PASSWORD

spec = importlib.util.spec_from_file_location(
    "sync_client", Path(__file__).parents[2] / "examples" / "sync_client.py"
)
sync_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_client)


class LoseFirstAnswer(HTTPAdapter):
    """The first POST reaches the server, but its answer is lost on the way back."""

    lost = 0

    def send(self, request, *args, **kwargs):
        response = super().send(request, *args, **kwargs)
        if request.method == "POST" and "/calls/" in request.url and not self.lost:
            self.lost += 1
            raise requests.ConnectionError("connection reset")
        return response


@pytest.mark.django_db(transaction=True)
def test_the_reference_client_syncs_and_uploads_offline_calls(cw, live_server, tmp_path):
    session = requests.Session()
    adapter = LoseFirstAnswer()
    session.mount("http://", adapter)
    store = tmp_path / "tablet.json"
    client = sync_client.SyncClient(live_server.url, str(store), session=session, backoff=0)

    # initial sync
    client.login(cw.rep_x.username, PASSWORD, "iPad 7")
    client.sync(page_size=3)
    assert set(client.records("customers")) == {str(cw.cx.pk), str(cw.cx2.pk)}

    # offline: two calls; then upload, the first answer lost
    first = client.log_call(customers=[str(cw.cx.pk)], objective="Introduce the PFS data")
    second = client.log_call(customers=[str(cw.cx2.pk)], objective="Follow up")
    assert client.upload() == 2
    assert adapter.lost == 1
    assert Call.objects.filter(pk__in=[first, second]).count() == 2
    assert Call.objects.count() == 2  # the retried call was not written twice
    assert client.state["outbox"] == [] and client.state["rejected"] == []

    # meanwhile the DM re-aligns cx2 to another territory
    alignment = Alignment.objects.get(customer=cw.cx2)
    customer_services.alignment_save(alignment=alignment, territory=cw.ty)

    # incremental sync from a fresh process (the store on disk)
    again = sync_client.SyncClient(live_server.url, str(store))
    again.sync()
    assert {first, second} <= set(again.records("calls"))
    assert set(again.records("customers")) == {str(cw.cx.pk)}
