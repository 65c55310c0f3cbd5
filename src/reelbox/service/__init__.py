"""What a request asks of Reelbox, once it is parsed: create, cancel, delete and rework videos
and jobs of both dialects, and characters. The HTTP layer (`reelbox.api`) parses and answers;
this package decides, and is the only caller of the store, blobs, moderation and the limiter
on those paths."""
