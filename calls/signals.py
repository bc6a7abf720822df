"""Events of the calls app, sent after the commit of the write that caused them (a rolled-back
write sends nothing). Notifications connect receivers here to tell the rep of the call; the
Amendment and CoachingComment rows themselves are the durable record.

- `amendment_decided`: kwargs amendment_id, call_id, status ("approved" or "rejected").
- `coaching_commented`: kwargs comment_id, call_id.
"""

from django.dispatch import Signal

amendment_decided = Signal()
coaching_commented = Signal()
