"""What a blocked user is told: the observed Sora sentence and categories, never the content."""

from __future__ import annotations

from reelbox.moderation.verdict import BLOCKED_MESSAGE, Checkpoint, Verdict, sha256_of


def test_the_message_names_categories_not_content() -> None:
    verdict = Verdict(
        checkpoint=Checkpoint.REQUEST,
        subject="prompt",
        policy="sora",
        categories=("real-person/name", "sexual"),
        rules=("people.txt:12",),
    )
    message = verdict.message()
    assert message.startswith(BLOCKED_MESSAGE)
    assert message.endswith("The request appears to contain a real person, sexual content.")
    assert "people.txt" not in message


def test_each_checkpoint_says_where() -> None:
    for checkpoint, where in [
        (Checkpoint.INPUT, "An input appears"),
        (Checkpoint.OUTPUT, "The generated video appears"),
    ]:
        verdict = Verdict(
            checkpoint=checkpoint, subject="x", policy="sora", categories=("hate",)
        )
        assert where in verdict.message()
        assert verdict.blocked and verdict.needs_audit


def test_an_unchecked_pass_is_audited_but_allowed() -> None:
    verdict = Verdict(
        checkpoint=Checkpoint.REQUEST, subject="prompt", policy="sora", unchecked=True
    )
    assert not verdict.blocked and verdict.needs_audit


def test_hashes_separate_their_parts() -> None:
    assert sha256_of("ab", "c") != sha256_of("a", "bc")
    assert sha256_of("abc") == sha256_of(b"abc")
