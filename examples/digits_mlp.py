"""An MLP on scikit-learn's 8x8 digits (needs `pip install scikit-learn`).

    python examples/digits_mlp.py [--epochs 40] [--plot docs/digits_curves.png]

Prints one line per epoch and the final test accuracy (at least 0.97 expected).
"""
import argparse
import time

import chainrule as cr
from chainrule import nn


def main(epochs=40, plot=None, seed=0):
    cr.seed_everything(seed)
    train, test = cr.data.datasets.digits(flatten=True)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))
    trainer = cr.train.Trainer(model, cr.optim.Adam(model.parameters(), lr=2e-3), nn.CrossEntropyLoss(),
                               metrics=["accuracy"])
    start = time.perf_counter()
    history = trainer.fit(cr.data.DataLoader(train, 32, shuffle=True), cr.data.DataLoader(test, 256), epochs)
    accuracy = trainer.evaluate(cr.data.DataLoader(test, 256))["accuracy"]
    print(f"test accuracy {accuracy:.4f} after {epochs} epochs in {time.perf_counter() - start:.1f}s")
    if plot:
        history.plot(plot)
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--plot", default=None)
    args = parser.parse_args()
    main(args.epochs, args.plot)
