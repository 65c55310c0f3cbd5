"""Moderation of prompts, inputs and outputs (docs/moderation.md).

```
categories   the category names and how each is described to a user
policy       which categories a project blocks: sora (default), standard, off, custom
normalize    text folding: diacritics, leetspeak, spacing and stretching tricks
terms        the term lists (data/*.txt) and their matcher
faces        face detection on input images and clips
classifier   an optional OpenAI-compatible /v1/moderations endpoint
verdict      what a check answers; the exception that carries a block
moderator    all of the above behind one object, per checkpoint
```
Nothing here knows HTTP, SQL or jobs: the API, the worker and the store turn verdicts into
answers, failed jobs and audit rows.
"""
