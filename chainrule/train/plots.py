"""Learning-curve and image-grid PNGs (matplotlib, an optional extra)."""
import math

from .. import backend as B
from ..tensor import Tensor
from ..io import atomic_write

xp = B.xp


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise ImportError("plots need the optional package 'matplotlib': pip install matplotlib") from None
    return pyplot


def plot_history(history, path, metrics=None):
    """One panel per metric, training and validation curves against the epoch; written atomically."""
    pyplot = _pyplot()
    keys = sorted({k for entry in history.epochs for k in entry if k != "epoch" and not k.startswith("val_")})
    keys = [k for k in keys if metrics is None or k in metrics]
    figure, axes = pyplot.subplots(1, max(len(keys), 1), figsize=(4.5 * max(len(keys), 1), 3.5), squeeze=False)
    for axis, key in zip(axes[0], keys):
        epochs = [e["epoch"] for e in history.epochs if key in e]
        axis.plot(epochs, history[key], marker="o", label="train")
        if any(f"val_{key}" in e for e in history.epochs):
            axis.plot([e["epoch"] for e in history.epochs if f"val_{key}" in e], history[f"val_{key}"],
                      marker="o", label="validation")
        axis.set_title(key)
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    atomic_write(path, lambda temporary: figure.savefig(temporary, format="png", dpi=100))
    pyplot.close(figure)


def save_image_grid(images, path, columns=8, titles=None):
    """Save (N, H, W) or (N, 1, H, W) images as a grid PNG (e.g. samples or misclassified examples)."""
    pyplot = _pyplot()
    array = images._data if isinstance(images, Tensor) else xp.asarray(images)
    if array.ndim == 4:
        array = array[:, 0]
    rows = math.ceil(len(array) / columns)
    figure, axes = pyplot.subplots(rows, columns, figsize=(1.2 * columns, 1.3 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(array):
            axis.imshow(array[index], cmap="gray")
            if titles is not None:
                axis.set_title(str(titles[index]), fontsize=8)
    figure.tight_layout()
    atomic_write(path, lambda temporary: figure.savefig(temporary, format="png", dpi=100))
    pyplot.close(figure)
