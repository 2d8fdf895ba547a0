"""Driving callbacks from the training loop, plus minimal `History` and progress-bar
callbacks used when `ndflow._src.keras.callbacks` is not available.

Any object with some of Keras' hooks (`on_epoch_end`, `on_train_batch_end`, ...) can be
passed to `fit`; missing hooks are skipped.

>>> h = History()
>>> cl = CallbackList([h], model=None)
>>> cl.on_train_begin(); cl.on_epoch_end(0, {"loss": 1.0})
>>> h.history
{'loss': [1.0]}
"""

from __future__ import annotations

import importlib
from typing import Any

from ndflow._src.keras.utils.progbar import Progbar


class History:
    """Records each epoch's logs: `history.history["loss"]`, `history.epoch`."""

    def __init__(self) -> None:
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []
        self.model = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: Any = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger:
    """Prints "Epoch i/n" headers and a Progbar per epoch (Keras' ProgbarLogger)."""

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self.seen = 0

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")

    def on_train_begin(self, logs: Any = None) -> None:
        self.target = self.params.get("steps")

    def on_test_begin(self, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._reset()
            self._maybe_init()

    def on_predict_begin(self, logs: Any = None) -> None:
        self._reset()
        self._maybe_init()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._reset()
        self._maybe_init()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._update(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        self._update(batch, None)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._finalize(logs)

    def on_test_end(self, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_end(self, logs: Any = None) -> None:
        self._finalize(None)

    @property
    def _called_in_fit(self) -> bool:
        return bool(getattr(self.model, "_in_fit", False))

    def _update(self, batch: int, logs: Any) -> None:
        self._maybe_init()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize(self, logs: Any) -> None:
        self._maybe_init()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)


def _callbacks_module() -> Any:
    try:
        return importlib.import_module("ndflow._src.keras.callbacks")
    except ImportError:
        return None


class CallbackList:
    """Calls each callback's hook when it has one; adds History (and ProgbarLogger when
    `verbose`) as fit does. Uses the callbacks family's History/ProgbarLogger when it
    exists."""

    def __init__(
        self,
        callbacks: Any = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        self.callbacks = list(callbacks or [])
        self._hooks: dict = {}
        module = _callbacks_module()
        history_cls = getattr(module, "History", History) if module else History
        progbar_cls = getattr(module, "ProgbarLogger", ProgbarLogger) if module else ProgbarLogger
        # Keras appends History, then the progress bar, after the user's callbacks.
        self.history = None
        if add_history:
            existing = [c for c in self.callbacks if isinstance(c, (History, history_cls))]
            if existing:
                self.history = existing[0]
            else:
                self.history = history_cls()
                self.callbacks.append(self.history)
        if add_progbar and not any(
            isinstance(c, (ProgbarLogger, progbar_cls)) for c in self.callbacks
        ):
            self.callbacks.append(progbar_cls())
        self.model = model
        for c in self.callbacks:
            if model is not None and hasattr(c, "set_model"):
                c.set_model(model)
        if params:
            self.set_params(params)

    def set_params(self, params: dict) -> None:
        for c in self.callbacks:
            if hasattr(c, "set_params"):
                c.set_params(params)
            else:
                c.params = params

    def hooks(self, hook: str) -> list:
        """The bound `hook` methods that do something, in callback order.

        A hook a callback inherits unchanged from the base `Callback` is a no-op (the
        batch hooks forward to `on_batch_*`, so those count too) and is skipped, so a fit
        with only History pays nothing per batch. Computed once per hook.
        """
        cached = self._hooks.get(hook)
        if cached is not None:
            return cached
        base = getattr(_callbacks_module(), "Callback", None)
        alias = _ALIASES.get(hook)
        out = []
        for c in self.callbacks:
            fn = getattr(c, hook, None)
            if fn is None:
                continue
            cls = type(c)
            if (
                base is not None
                and isinstance(c, base)
                and hook not in c.__dict__
                and getattr(cls, hook, None) is getattr(base, hook, None)
                and (alias is None or getattr(cls, alias, None) is getattr(base, alias, None))
                and (alias is None or alias not in c.__dict__)
            ):
                continue
            out.append(fn)
        self._hooks[hook] = out
        return out

    def _call(self, hook: str, *args: Any) -> None:
        for fn in self.hooks(hook):
            fn(*args)

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args: Any) -> None:
            for fn in self.hooks(hook):
                fn(*args)

        return call


# Keras' base batch hooks forward to these aliases.
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
