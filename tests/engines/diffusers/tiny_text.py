"""The text side of the tiny checkpoints: a word-level tokenizer and tiny T5 encoders.

Nothing comes from a model hub: the tokenizer's vocabulary is the handful of words tests use.
"""

from __future__ import annotations

from typing import Any

# The prompts tests use; any other word is <unk>.
WORDS = ("a", "the", "red", "blue", "cat", "dog", "car", "bird", "city", "night", "sea", "runs")


def tokenizer() -> Any:
    """A word-level tokenizer with T5's special tokens (pad 0, eos 1, unk 2)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=256,
    )


def t5_encoder(kind: str = "t5") -> Any:
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    settings = dict(
        vocab_size=64,
        d_model=32,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
    )
    if kind == "umt5":
        return UMT5EncoderModel(UMT5Config(**settings))
    return T5EncoderModel(T5Config(**settings))
