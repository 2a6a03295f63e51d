"""``Trainer``: a thin fit / evaluate / predict loop over a model, an optimizer and a loss.

Everything it does is what a plain loop would do (forward, loss, backward, step);
it adds metrics, callbacks, progress, gradient clipping, gradient accumulation and
scheduler stepping, each declared once in the constructor.
"""
import math

from .. import backend as B
from ..tensor import Tensor
from ..grad_mode import no_grad
from ..nn.utils import clip_grad_norm_
from .._errors import at_user_line
from . import metrics as metric_functions
from .callbacks import History
from .progress import Progress
from .batches import batch_size, to_numpy, concatenate
from .interrupt import graceful_interrupt, TrainingInterrupted

xp = B.xp


def _resolve_metrics(metrics):
    if metrics is None:
        return {}
    if isinstance(metrics, dict):
        return dict(metrics)
    resolved = {}
    for name in metrics:
        fn = getattr(metric_functions, name, None)
        if fn is None or name.startswith("_"):
            raise ValueError(at_user_line(
                f"Trainer: unknown metric '{name}'; choose from accuracy, top_k_accuracy, precision, recall, f1, "
                f"mse, mae, or pass a dict of name -> function(predictions, targets)"))
        resolved[name] = fn
    return resolved


def _split_batch(batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(at_user_line("Trainer expects batches of (inputs, targets)"))


class Trainer:
    """Train ``model`` with ``optimizer`` on ``loss(model(x), y)``.

    Args:
        metrics: names from ``chainrule.train.metrics`` or a dict of name -> fn(predictions, targets).
        callbacks: Callback objects; a ``History`` is always added (``trainer.history``).
        scheduler: a learning-rate scheduler, stepped every ``scheduler_interval`` ('epoch' or 'step');
            a ``ReduceLROnPlateau`` is stepped each epoch with ``scheduler_monitor`` (default val_loss).
        grad_clip_norm: clip the total gradient norm to this value before each optimizer step.
        accumulate_grad_batches: sum gradients over this many batches per optimizer step; each loss is
            divided by the real number of batches in its window (the last window may be shorter).
    """

    def __init__(self, model, optimizer, loss, metrics=None, callbacks=None, scheduler=None,
                 scheduler_interval="epoch", scheduler_monitor="val_loss", grad_clip_norm=None,
                 accumulate_grad_batches=1, progress=True):
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got '{scheduler_interval}'")
        if accumulate_grad_batches < 1:
            raise ValueError(f"accumulate_grad_batches must be at least 1, got {accumulate_grad_batches}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss
        self.metrics = _resolve_metrics(metrics)
        self.history = History()
        self.callbacks = list(callbacks or []) + [self.history]  # last: it records what others log
        self.scheduler, self.scheduler_interval, self.scheduler_monitor = scheduler, scheduler_interval, scheduler_monitor
        self.grad_clip_norm, self.accumulate = grad_clip_norm, accumulate_grad_batches
        self.progress = Progress(progress)
        self.stop_training = False
        self.global_step = 0
        self.epoch, self.batch_index, self.epoch_order = 0, 0, None   # the position, for checkpoints
        self.epoch_finished = False       # True from the epoch-end callbacks on: a resume starts the next epoch
        self.partial_epoch = (0.0, 0, [], [])                         # loss sum, samples, outputs, targets
        self.train_loader = None
        self._interrupt = None                                        # set while fit() handles Ctrl-C
        self.samples_seen = 0                                         # samples trained on by the last fit()

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    def _optimizer_step(self):
        if self.grad_clip_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.grad_clip_norm)
        self._call("on_before_optimizer_step")
        self.optimizer.step()
        self._call("on_after_optimizer_step")
        self.optimizer.zero_grad()
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()

    def _train_epoch(self, loader, epoch, epochs, resume=False):
        """One epoch; with ``resume``, continue the saved epoch order from the saved batch."""
        self.model.train()
        self.epoch_finished = False
        batches = len(loader)
        self.progress.epoch_begin(epoch, epochs, batches)
        if resume and self.epoch_order is not None:
            start = self.batch_index
            iterator = loader.batches(self.epoch_order, start)
        else:
            start = 0
            iterator = iter(loader)
            self.epoch_order = getattr(loader, "epoch_order", None)
            self.partial_epoch = (0.0, 0, [], [])
            self.optimizer.zero_grad()
        total_loss, seen, outputs, targets = self.partial_epoch
        for index, batch in enumerate(iterator, start):
            x, y = _split_batch(batch)
            window_start = index - index % self.accumulate
            window = min(self.accumulate, batches - window_start)      # the last window may be shorter
            prediction = self.model(x)
            loss = self.loss_fn(prediction, y)
            (loss / window if window > 1 else loss).backward()
            if index - window_start == window - 1:
                self._optimizer_step()
            self.global_step += 1
            value = loss.item()
            size = batch_size(x)
            self.samples_seen += size
            total_loss, seen = total_loss + value * size, seen + size
            if self.metrics:
                outputs.append(to_numpy(prediction))
                targets.append(to_numpy(y))
            self.batch_index = index + 1
            self.partial_epoch = (total_loss, seen, outputs, targets)
            logs = {"loss": value}
            self._call("on_batch_end", self.global_step, logs)
            self.progress.batch_end(size, logs)
            if self._interrupt is not None and self._interrupt.requested:
                raise TrainingInterrupted(epoch, self.global_step)
            if self.stop_training:
                break
        logs = {"loss": total_loss / max(seen, 1)}
        logs.update(self._metric_values(outputs, targets, prefix=""))
        return logs

    def save_checkpoint(self, path):
        """Write a full checkpoint (see ``chainrule.train.checkpoint``); ``fit(resume_from=path)`` continues it."""
        from .checkpoint import save_checkpoint
        save_checkpoint(self, path)

    def _metric_values(self, outputs, targets, prefix):
        if not outputs:
            return {}
        predictions, truth = concatenate(outputs), concatenate(targets)
        return {prefix + name: float(fn(predictions, truth)) for name, fn in self.metrics.items()}

    def fit(self, train_loader, val_loader=None, epochs=1, resume_from=None, interrupt_checkpoint=None):
        """Train for ``epochs`` epochs (or until a callback stops it); returns the History.

        ``resume_from`` is a checkpoint directory written by ``save_checkpoint``: training continues
        from exactly that step, as if it had never stopped. With ``interrupt_checkpoint`` (a
        directory), Ctrl-C finishes the current step, saves a checkpoint there and raises
        ``TrainingInterrupted``; resuming from it continues bit for bit.
        """
        self.stop_training = False
        self.train_loader = train_loader
        self.samples_seen = 0
        first_epoch, resume = 1, False
        self.epoch_finished = False
        if resume_from is not None:
            from .checkpoint import load_checkpoint
            load_checkpoint(self, resume_from)
            first_epoch, resume = self.epoch, True  # the saved epoch continues from its saved batch
            if self.epoch_finished:                  # saved by an epoch-end callback: start the next one
                first_epoch, resume = self.epoch + 1, False
                if self.stop_training:               # ... unless that epoch ended the run (early stopping)
                    first_epoch = epochs + 1
            self.stop_training = False
        self._call("on_train_begin")
        try:
            with graceful_interrupt(interrupt_checkpoint is not None) as request:
                self._interrupt = request
                for epoch in range(first_epoch, epochs + 1):
                    self.epoch = epoch
                    if not resume:
                        self._call("on_epoch_begin", epoch)
                    logs = self._train_epoch(train_loader, epoch, epochs, resume=resume)
                    resume = False
                    if val_loader is not None:
                        logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
                    self._step_epoch_scheduler(logs)
                    self.epoch_finished = True
                    self._call("on_epoch_end", epoch, logs)
                    self.progress.epoch_end(logs, epochs - epoch)
                    if self.stop_training:
                        break
        except TrainingInterrupted as interrupted:
            self.progress.close()
            self.save_checkpoint(interrupt_checkpoint)
            interrupted.checkpoint = interrupt_checkpoint
            raise
        finally:
            self._interrupt = None
            self._call("on_train_end")
        return self.history

    def _step_epoch_scheduler(self, logs):
        if self.scheduler is None or self.scheduler_interval != "epoch":
            return
        from ..optim.lr_scheduler import ReduceLROnPlateau
        if isinstance(self.scheduler, ReduceLROnPlateau):
            if self.scheduler_monitor not in logs:
                raise KeyError(f"ReduceLROnPlateau needs '{self.scheduler_monitor}' in the logs {sorted(logs)}")
            self.scheduler.step(logs[self.scheduler_monitor])
        else:
            self.scheduler.step()

    def evaluate(self, loader):
        """Mean loss and metrics over ``loader`` in eval mode, without gradients."""
        self.model.eval()
        total, seen, outputs, targets = 0.0, 0, [], []
        with no_grad():
            for batch in loader:
                x, y = _split_batch(batch)
                prediction = self.model(x)
                size = batch_size(x)
                total += self.loss_fn(prediction, y).item() * size
                seen += size
                outputs.append(to_numpy(prediction))
                targets.append(to_numpy(y))
        logs = {"loss": total / max(seen, 1) if seen else math.nan}
        logs.update(self._metric_values(outputs, targets, prefix=""))
        return logs

    def predict(self, data):
        """Model outputs for a tensor, or for every batch of a loader (concatenated), in eval mode."""
        self.model.eval()
        with no_grad():
            if isinstance(data, Tensor):
                return self.model(data)
            parts = []
            for batch in data:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                parts.append(to_numpy(self.model(x)))
        joined = concatenate(parts)
        if isinstance(joined, dict):
            return {key: Tensor._make(value) for key, value in joined.items()}
        return Tensor._make(joined)
