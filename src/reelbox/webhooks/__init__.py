"""Webhooks: signed event deliveries from the outbox (SORA_API.md A8, DECISIONS D8).

```
store.outbox        rows recorded with the job status change that causes them
   │
deliverer.py        leases due rows, one in flight per endpoint, records every attempt
   ├── signer.py        Standard Webhooks headers and `v1,` signatures
   ├── sender.py        one HTTP attempt: 2xx within the timeout, redirects not followed
   │     └── destinations.py   https only, no private/metadata addresses (SSRF guard)
   └── retry.py         exponential backoff with jitter inside a 72 h window
service.py          what the HTTP layer uses (endpoints, tests, redelivery)
```
`DestinationRefused` is the one exception this package raises to its callers.
"""

from reelbox.webhooks.destinations import DestinationRefused
from reelbox.webhooks.service import WebhookService

__all__ = ["DestinationRefused", "WebhookService"]
