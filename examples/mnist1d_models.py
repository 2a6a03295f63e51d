"""MNIST-1D (generated locally by `pip install mnist1d`): a CNN and an MLP.

    python examples/mnist1d_models.py --model cnn   # at least 0.90 test accuracy expected (paper: about 0.94)
    python examples/mnist1d_models.py --model mlp   # at least 0.60 expected (paper: about 0.68)
"""
import argparse
import time

import chainrule as cr
from chainrule import nn


class CNN(nn.Module):
    """Three strided 1-D convolutions, then a linear classifier (the MNIST-1D paper's small CNN)."""

    def __init__(self, channels=25):
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.head = nn.Linear(channels * 5, 10)

    def forward(self, x):                      # (N, 40)
        h = x.unsqueeze(1)                     # (N, 1, 40)
        h = self.conv1(h).relu()               # (N, C, 19)
        h = self.conv2(h).relu()               # (N, C, 10)
        h = self.conv3(h).relu()               # (N, C, 5)
        return self.head(h.flatten(1))         # (N, 10)


def mlp():
    return nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))


def main(model_name="cnn", epochs=None, seed=0, num_samples=5000, progress=True):
    cr.seed_everything(seed)
    train, test = cr.data.datasets.mnist1d(num_samples=num_samples, seed=seed)
    model = CNN() if model_name == "cnn" else mlp()
    epochs = epochs or 40
    trainer = cr.train.Trainer(model, cr.optim.Adam(model.parameters(), lr=1e-2 if model_name == "cnn" else 2e-3),
                               nn.CrossEntropyLoss(), metrics=["accuracy"], progress=progress)
    start = time.perf_counter()
    trainer.fit(cr.data.DataLoader(train, 100, shuffle=True), cr.data.DataLoader(test, 500), epochs)
    accuracy = trainer.evaluate(cr.data.DataLoader(test, 500))["accuracy"]
    print(f"{model_name}: test accuracy {accuracy:.4f} after {epochs} epochs in {time.perf_counter() - start:.1f}s")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    main(args.model, args.epochs)
