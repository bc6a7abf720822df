"""Events of the customers app, sent after the commit of the write that caused them (a
rolled-back write sends nothing; `core.events`).

- `alignment_changed`: a customer's alignment to a territory was created or changed (a new
  customer is aligned as it is created): kwargs alignment_id, customer_id, territory_ids (the
  alignment's territory, and its former one when the write moved it; a tuple), and commit
  (`core.events.Commit`, shared by the events of one commit). Reports receive it to refresh
  those territories' current snapshots, once per commit.
"""

from django.dispatch import Signal

alignment_changed = Signal()

# `customer_reviewed`: a data steward decided on a rep's customer or change request (after the
# commit): kwargs customer_id, customer_name, outcome (`services.stewardship.Outcome`: verified,
# merged, rejected, change_accepted, change_rejected), user_id (the rep to tell), actor_id (the
# steward), reason (rejections), into_id (merges: the customer kept), request_id (change
# requests) and commit.
customer_reviewed = Signal()
