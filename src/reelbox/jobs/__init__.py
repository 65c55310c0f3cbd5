"""The pure job domain: what a generation request is, job statuses and transitions, id formats.

Nothing here touches HTTP, SQL, engines or files.
"""
