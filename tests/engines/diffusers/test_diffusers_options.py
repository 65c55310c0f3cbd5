"""Profile options, capabilities and the start-up weights check (cheap: no torch needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from reelbox.engines.catalog import Catalog, ProfileSpec
from reelbox.engines.diffusers import DiffusersEngine
from reelbox.engines.diffusers.options import parse_options
from reelbox.engines.registry import build_engine, check_weights
from reelbox.jobs.spec import Mode
from reelbox.settings import load_settings


def _options(**extra: Any) -> dict[str, Any]:
    return {"family": "wan2.1-t2v", "path": "/models/wan", **extra}


def test_defaults_come_from_the_family() -> None:
    options = parse_options(_options())
    assert (options.device, options.dtype, options.steps, options.guidance) == (
        "cuda",
        "bfloat16",
        50,
        5.0,
    )
    assert options.resolutions == ((832, 480), (480, 832))
    assert options.max_seconds == 5.0
    assert options.offload is None and options.cache is None and options.compile is None
    # Workers load the weights when they start unless the profile says `warm = false`.
    assert DiffusersEngine(_options()).warm_at_start
    assert not DiffusersEngine(_options(warm=False)).warm_at_start


def test_levers_are_parsed_only_when_set() -> None:
    options = parse_options(
        _options(
            resolutions=["480p", "720p", "960x544"],
            attention_backend="sage",
            compile=True,
            cache={"type": "first_block", "threshold": 0.1},
            lora={"path": "/loras/distill.safetensors", "steps": 4, "guidance": 1.0},
            offload="group",
            vae_tiling=True,
            vae_slicing=True,
            vae_dtype="float32",
        )
    )
    assert options.resolutions[-1] == (960, 544) and len(options.resolutions) == 5
    assert options.compile == "regional" and options.attention_backend == "sage"
    assert options.cache is not None and options.cache.config_class == "FirstBlockCacheConfig"
    assert dict(options.cache.settings) == {"threshold": 0.1}
    # A step-distilled LoRA brings its own step and guidance defaults.
    assert (options.steps, options.guidance, options.guidance_set) == (4, 1.0, True)
    assert options.offload == "group" and options.vae_tiling and options.vae_slicing


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"family": "sora"}, r"unknown diffusers family 'sora'; known: wan2.1-t2v"),
        ({"path": None}, "option path is required"),
        ({"speed": "fast"}, r"unknown diffusers engine options: speed"),
        ({"dtype": "int8"}, r"option dtype must be one of bfloat16, float16, float32"),
        ({"device": "gpu"}, r"option device must look like 'cuda'"),
        ({"resolutions": ["1080p"]}, r"'1080p' is neither a tier of wan2.1-t2v \(480p, 720p\)"),
        ({"resolutions": ["850x480"]}, r"850x480 must be multiples of 16"),
        ({"sizes": ["1280x720x3"]}, r"option sizes: '1280x720x3' is not a size"),
        ({"steps": 0}, r"option steps must be an integer from 1 to 1000"),
        ({"guidance": "high"}, r"option guidance must be a number"),
        ({"strength": 0}, r"option strength must be within \(0, 1\]"),
        ({"guidance_2": 3.0}, r"guidance_2 applies to two-expert families"),
        ({"max_seconds": 10}, r"wan2.1-t2v makes at most 5 s in one piece"),
        ({"attention_backend": "fastest"}, r"'fastest' is not a diffusers attention backend"),
        ({"compile": "max"}, r"option compile must be true, false or one of"),
        ({"offload": "disk"}, r"option offload must be one of model, sequential, group"),
        ({"offload": "model", "device": "cpu"}, r"offload needs an accelerator device"),
        ({"compile": True, "offload": "sequential"}, r"compile does not work with offload"),
        ({"cache": {"type": "magic"}}, r"cache: unknown type 'magic'; known: first_block, mag"),
        ({"cache": {"type": "first_block", "speed": 2}}, r"first_block takes threshold; got speed"),
        ({"cache": {"type": "mag"}}, r"mag needs mag_ratios measured for this checkpoint"),
        ({"lora": {"steps": 4}}, r"option lora.path is required"),
        ({"audio": {"family": "musicgen", "path": "/m"}}, r"audio.family must be one of"),
        ({"audio": {"family": "audioldm2"}}, r"option audio.path is required"),
        ({"dtype": "float16", "device": "cpu"}, r"float16 is not supported on the CPU"),
        ({"warm": "later"}, r"option warm must be true or false"),
    ],
)
def test_bad_options_are_refused_with_the_option_named(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_options({k: v for k, v in _options(**extra).items() if v is not None})


def test_attention_backends_match_the_installed_diffusers() -> None:
    pytest.importorskip("diffusers")
    from diffusers.models.attention_dispatch import AttentionBackendName

    from reelbox.engines.diffusers.options import ATTENTION_BACKENDS

    assert {b.value for b in AttentionBackendName} == ATTENTION_BACKENDS


def test_capabilities_advertise_exactly_what_the_profile_serves() -> None:
    caps = DiffusersEngine(_options(resolutions=["480p", "720p"])).capabilities()
    assert caps.modes == frozenset({Mode.TEXT, Mode.REMIX, Mode.EDIT})
    assert caps.sizes is not None and (1280, 720) in caps.sizes and (1024, 1024) not in caps.sizes
    assert (caps.min_seconds, caps.max_seconds, caps.fps, caps.audio, caps.characters) == (
        1.0,
        5.0,
        16,
        False,
        False,
    )
    i2v = DiffusersEngine({"family": "wan2.1-i2v", "path": "/m"}).capabilities()
    assert i2v.modes == frozenset({Mode.IMAGE, Mode.EXTEND}) and i2v.max_seconds == 20.0
    vace = DiffusersEngine({"family": "wan2.1-vace", "path": "/m", "max_seconds": 60})
    assert vace.capabilities().characters and vace.capabilities().max_seconds == 60
    ltx2 = DiffusersEngine({"family": "ltx-2", "path": "/m"}).capabilities()
    assert ltx2.audio and ltx2.fps == 24
    scored = DiffusersEngine(_options(audio={"family": "stable-audio-open", "path": "/a"}))
    assert scored.capabilities().audio
    cog = DiffusersEngine({"family": "cogvideox", "path": "/m"}).capabilities()
    assert cog.sizes == ((720, 480), (1280, 720), (1792, 1024))  # no portrait: CogVideoX is 3:2


def test_building_the_engine_imports_neither_torch_nor_diffusers() -> None:
    import subprocess

    code = (
        "import sys\n"
        "from reelbox.engines.registry import build_engine\n"
        "e = build_engine('diffusers', {'family': 'ltx-2', 'path': '/m'})\n"
        "e.capabilities()\n"
        "print(','.join(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_profiles_take_engine_options_beside_the_engine(tmp_path: Path) -> None:
    config = tmp_path / "reelbox.toml"
    config.write_text(
        """
[profiles.wan-1_3b]
engine = "diffusers"
family = "wan2.1-t2v"
path = "/models/Wan2.1-T2V-1.3B-Diffusers"
device = "cuda:0"
dtype = "bfloat16"
options = { steps = 30 }

[aliases]
sora-2 = "wan-1_3b"
"""
    )
    settings = load_settings(config)
    profile = settings.profiles["wan-1_3b"]
    assert profile.options == {
        "steps": 30,
        "family": "wan2.1-t2v",
        "path": "/models/Wan2.1-T2V-1.3B-Diffusers",
        "device": "cuda:0",
        "dtype": "bfloat16",
    }
    catalog = Catalog(
        {"wan-1_3b": ProfileSpec(engine=profile.engine, options=profile.options)},
        settings.aliases,
    )
    resolved = catalog.resolve("sora-2")
    assert resolved is not None and resolved.capabilities.fps == 16


def test_an_option_given_twice_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "reelbox.toml"
    config.write_text('[profiles.x]\nengine = "fake"\nfps = 8\noptions = { fps = 4 }\n')
    with pytest.raises(ValueError, match="fps given both in options and beside it"):
        load_settings(config)


def _checkpoint(root: Path, class_name: str, **index: Any) -> Path:
    root.mkdir(parents=True)
    components = {"transformer": ["diffusers", "WanTransformer3DModel"], "vae": ["diffusers", "X"]}
    (root / "model_index.json").write_text(
        json.dumps({"_class_name": class_name, **components, **index})
    )
    for name in components:
        (root / name).mkdir()
    return root


def test_weights_check_passes_for_the_right_family(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path / "wan", "WanPipeline", transformer_2=[None, None])
    check_weights("diffusers", _options(path=str(path)))
    check_weights("fake", {})  # engines without weights have nothing to check


@pytest.mark.parametrize(
    ("class_name", "index", "family", "message"),
    [
        (
            "WanImageToVideoPipeline",
            {"image_encoder": ["transformers", "CLIPVisionModel"]},
            "wan2.1-t2v",
            r"holds WanImageToVideoPipeline weights, but family wan2.1-t2v uses WanPipeline, "
            r"WanVideoToVideoPipeline; these weights fit family wan2.1-i2v",
        ),
        (
            "WanPipeline",
            {"expand_timesteps": True},
            "wan2.1-t2v",
            r"has 'expand_timesteps' in model_index.json, so it is not Wan 2.1 text-to-video "
            r"\(1.3B, 14B\); these weights fit family wan2.2-ti2v-5b",
        ),
        (
            "WanPipeline",
            {},
            "wan2.2-ti2v-5b",
            r"lacks 'expand_timesteps'.*these weights fit family wan2.1-t2v",
        ),
        ("LTXPipeline", {}, "cogvideox", r"holds LTXPipeline weights.*fit family ltx-video"),
    ],
)
def test_weights_of_another_family_are_refused(
    tmp_path: Path, class_name: str, index: dict[str, Any], family: str, message: str
) -> None:
    path = _checkpoint(tmp_path / "weights", class_name, **index)
    with pytest.raises(ValueError, match=message):
        DiffusersEngine({"family": family, "path": str(path)}).check_weights()


def test_missing_or_broken_weights_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no weights folder at /nowhere for wan2.1-t2v; download"):
        DiffusersEngine(_options(path="/nowhere")).check_weights()
    DiffusersEngine(_options(path="Wan-AI/X", allow_download=True)).check_weights()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is not a diffusers pipeline folder"):
        DiffusersEngine(_options(path=str(tmp_path / "empty"))).check_weights()
    path = _checkpoint(tmp_path / "partial", "WanPipeline")
    (path / "vae").rmdir()
    with pytest.raises(ValueError, match="is incomplete: its vae/ folder is missing"):
        DiffusersEngine(_options(path=str(path))).check_weights()
    scored = _options(
        path=str(_checkpoint(tmp_path / "ok", "WanPipeline")),
        audio={"family": "stable-audio-open", "path": str(tmp_path / "no-audio")},
    )
    with pytest.raises(ValueError, match="for stable-audio-open"):
        DiffusersEngine(scored).check_weights()


def test_registry_knows_the_diffusers_engine() -> None:
    engine = build_engine("diffusers", _options())
    assert isinstance(engine, DiffusersEngine)
