"""``compile(model)``: a Module whose forward is traced once and replayed.

The replay returns plain tensors (no autograd graph). So the compiled forward serves
every call whose output needs no graph: evaluation, inference, ``no_grad`` blocks,
frozen models, in train or eval mode alike (dropout redraws, batch norm updates its
running statistics). A call whose output needs a graph (grad mode on and a parameter
or input that requires grad) runs the module eagerly, so ``loss.backward()`` after it
is right; to compile training, compile the whole training step (forward, backward and
optimizer step in one function), which replays the backward pass too.
"""
import logging

from ..grad_mode import is_grad_enabled
from ..nn.module import Module
from ..tensor import Tensor
from .compiled import CompiledFunction

log = logging.getLogger("chainrule.compile")


class CompiledModule(Module):
    """``module`` with a compiled forward; parameters, state dicts and modes are the module's own."""

    def __init__(self, module, **options):
        super().__init__()
        self._orig_mod = module
        self.training = module.training

        def forward(*args, **kwargs):
            return module(*args, **kwargs)
        forward.__name__ = f"{type(module).__name__}.forward"
        self._compiled_forward = CompiledFunction(forward, modules=[module], **options)
        self._told_eager = False

    def forward(self, *args, **kwargs):   # called by Module.__call__, which runs this module's hooks
        if self._needs_autograd_graph(args, kwargs):
            if not self._told_eager:
                self._told_eager = True
                log.info("chainrule.compile: %s ran eagerly because its output needs an autograd "
                         "graph (grad mode is on and a parameter or input requires grad); compile the "
                         "whole training step to replay the backward pass as well",
                         type(self._orig_mod).__name__)
            return self._orig_mod(*args, **kwargs)
        return self._compiled_forward(*args, **kwargs)

    def _needs_autograd_graph(self, args, kwargs):
        if not is_grad_enabled():
            return False
        if any(p._rg for p in self._orig_mod.parameters()):
            return True
        return any(isinstance(a, Tensor) and a._rg for a in (*args, *kwargs.values()))

    # ------------------------------------------------------------ the module's own state

    @property
    def graph(self):
        """The optimized graph of the compiled forward (prints as a listing)."""
        return self._compiled_forward.graph

    @property
    def recompiles(self):
        return self._compiled_forward.recompiles

    def train(self, mode=True):
        self._orig_mod.train(mode)
        self.training = mode
        return self

    def state_dict(self, prefix="", keep_vars=False):
        # the original module's keys, so checkpoints load into compiled and eager models alike
        return self._orig_mod.state_dict(prefix, keep_vars)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return self._orig_mod.load_state_dict(state_dict, strict, assign)

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._orig_mod.named_parameters(prefix, recurse, remove_duplicate)

    def named_buffers(self, prefix="", recurse=True):
        return self._orig_mod.named_buffers(prefix, recurse)

    def __repr__(self):
        return f"CompiledModule({self._orig_mod!r})"
