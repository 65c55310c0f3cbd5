"""Job-change notifications within a process and across replicas.

```
PostgreSQL NOTIFY reelbox_jobs ──► PostgresListener ─┐                    ┌─► event streams (SSE)
   (sent by Store in the status-change transaction)  ├─► EventHub.publish ┤
SQLite: one StatePoller per process (all watched jobs)┘                    └─► scheduler wake-up
```

One source per process feeds one `EventHub`; every open event stream waits on the hub instead
of polling the database itself.
"""

from reelbox.notify.hub import EventHub, Watch

__all__ = ["EventHub", "Watch"]
