"""The example scripts at small scale (the full-scale figures are in the README)."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import digits_mlp  # noqa: E402
import mnist1d_models  # noqa: E402


def test_digits_mlp_reaches_95_percent_in_15_epochs():
    assert digits_mlp.main(epochs=15) >= 0.95


def test_mnist1d_cnn_beats_the_mlp_at_small_scale():
    cnn = mnist1d_models.main("cnn", epochs=12, num_samples=2000, progress=False)
    mlp = mnist1d_models.main("mlp", epochs=12, num_samples=2000, progress=False)
    assert cnn >= 0.65 and mlp >= 0.40 and cnn > mlp   # chance is 0.10
