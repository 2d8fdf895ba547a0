"""Looping over a dataset inside a traced function: `for x in dataset:` (through
autograph) and `dataset.reduce(...)`.

TensorFlow runs such a loop as one op that iterates the dataset every time the function
runs. Here too: the loop body is traced once into a graph function, and the
`DatasetForLoop` op's kernel iterates the dataset in Python and runs the body's compiled
plan per element, threading the loop state through.
"""

from __future__ import annotations

from typing import Any, Callable

from ndflow._src.core import nest
from ndflow._src.core.context import ctx
from ndflow._src.data import structure
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.graph.func_graph import trace_graph_function


def _loop_kernel(*arrays: Any, dataset: Any, step_f: Any, n_state: int, has_test: bool) -> tuple:
    state = list(arrays[:n_state])
    captured = list(arrays[n_state:])
    for element in dataset:
        flat = [t._value for t in nest.flatten(element)]
        out = step_f.run_arrays(state + flat + captured)
        state = list(out[:n_state])
        if has_test and not bool(out[n_state]):
            break
    return tuple(state)


def _loop_shape(inputs: list, attrs: dict) -> list:
    outs = attrs["step_f"].outputs[: attrs["n_state"]]
    result = []
    for t_in, t_out in zip(inputs, outs):
        a, b = t_in.shape._dims, t_out._dims
        dims = (
            a
            if a == b
            else (
                tuple(x if x == y else None for x, y in zip(a, b))
                if a is not None and b is not None and len(a) == len(b)
                else None
            )
        )
        result.append((dims, t_out._dtype))
    return result


register_op("DatasetForLoop", _loop_kernel, _loop_shape, num_outputs=-1, stateful=True)


def tracing() -> bool:
    return ctx.graph is not None


def graph_fold(dataset: Any, init: Any, step: Callable, extra_test: Callable | None = None) -> Any:
    """Runs `state = step(state, element)` over `dataset` as one op; returns the final
    state (same structure as `init`). `extra_test(state)` ends the loop early when false."""
    flat_init = [convert_to_tensor(v) for v in nest.flatten(init)]
    n = len(flat_init)
    elem_specs = structure.flatten(dataset.element_spec)
    specs = [(t.dtype, t.shape._dims) for t in flat_init]
    specs += [(s.dtype, s.shape._dims) for s in elem_specs]

    def body(*args: Any) -> list:
        state = nest.pack_sequence_as(init, list(args[:n]))
        element = structure.pack(dataset.element_spec, list(args[n:]))
        new = step(state, element)
        flat_new = [convert_to_tensor(v) for v in nest.flatten(new)]
        if len(flat_new) != n:
            raise ValueError(
                "The loop state must keep its structure across iterations: it had "
                f"{n} tensors before the loop body and {len(flat_new)} after."
            )
        for before, after in zip(flat_init, flat_new):
            if before.dtype is not after.dtype:
                raise TypeError(
                    f"A loop variable changed dtype from {before.dtype.name} to "
                    f"{after.dtype.name} in the body of a loop over a dataset."
                )
        if extra_test is not None:
            flat_new.append(convert_to_tensor(extra_test(new)))
        return flat_new

    step_f, _ = trace_graph_function(body, specs, name="dataset_loop_body")
    outs = execute(
        "DatasetForLoop",
        flat_init + list(step_f.captured),
        {"dataset": dataset, "step_f": step_f, "n_state": n, "has_test": extra_test is not None},
    )
    return nest.pack_sequence_as(init, list(outs))


def autograph_for_loop(
    dataset: Any,
    extra_test: Callable | None,
    body: Callable,
    get_state: Callable,
    set_state: Callable,
) -> None:
    """The autograph `for` statement over a dataset while tracing. Variables first
    assigned inside the loop (undefined before it) are loop-local, as in TensorFlow;
    the others are the loop state."""
    from ndflow._src.function.autograph.operators import Undefined

    before = tuple(get_state())
    carried = [i for i, v in enumerate(before) if not isinstance(v, Undefined)]

    def full(values: Any) -> tuple:
        out = list(before)
        for i, v in zip(carried, values):
            out[i] = v
        return tuple(out)

    def step(state: Any, element: Any) -> Any:
        set_state(full(state))
        body(element)
        after = get_state()
        return tuple(after[i] for i in carried)

    test = None
    if extra_test is not None:

        def test(state: Any) -> Any:
            set_state(full(state))
            return extra_test()

    init = tuple(before[i] for i in carried)
    set_state(full(graph_fold(dataset, init, step, test)))
