"""Domain events sent after the commit of the write that caused them (a rolled-back write sends
nothing): a service announces what changed with `send_on_commit(signal, sender, **payload)`;
higher apps connect receivers to the signal in their `AppConfig.ready()`.

Every event sent on one commit carries the same `commit` (a `Commit`), so that a receiver acting
once per commit — whatever the number of writes the transaction made — can tell:
`commit.first(key)` is true the first time that commit sees `key`.
"""

from asgiref.local import Local
from django.db import transaction

_local = Local()


class Commit:
    """The commit that events belong to: the events registered in one transaction share it.

    A new one is started by the first event registered after the previous one began to send.
    One left behind by a rolled-back transaction (it never sends) is taken up by the next
    transaction: nothing was seen in it, so it is as good as new."""

    def __init__(self):
        self.sending = False
        self._seen = set()

    def first(self, key) -> bool:
        """True the first time `key` is seen in this commit."""
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def _current() -> Commit:
    commit = getattr(_local, "commit", None)
    if commit is None or commit.sending:
        commit = _local.commit = Commit()
    return commit


def send_on_commit(signal, *, sender, **payload) -> None:
    """Send `signal` with `payload` (and `commit`) once the current transaction commits; a
    receiver that fails is logged and does not stop the others (the write is committed)."""
    commit = _current()

    def send():
        commit.sending = True
        signal.send(sender=sender, commit=commit, **payload)

    transaction.on_commit(send, robust=True)
