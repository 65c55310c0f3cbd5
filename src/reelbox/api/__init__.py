"""The HTTP edge: one module per dialect and resource. No SQL, no engines: it validates requests
into `GenerationSpec`s and talks to the store and blob store through `Services`."""
