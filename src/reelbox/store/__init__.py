"""Job persistence: the only code that writes job rows. SQLite (one server) or PostgreSQL."""

from reelbox.store.database import connect, migrate
from reelbox.store.store import LeaseState, QueueFull, Store

__all__ = ["LeaseState", "QueueFull", "Store", "connect", "migrate"]
