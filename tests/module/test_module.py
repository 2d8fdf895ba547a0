"""tf.Module: names, name scopes and reflection order, against real TensorFlow."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import ndflow as nd


def build_tree(tf):
    """An equivalent module tree in either library: nested containers, a shared variable,
    a non-trainable variable, a cycle and a module reached twice."""

    class Leaf(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.v = tf.Variable(5.0, name="v")
            self.t = (tf.Variable(6.0, name="t0"),)

    class Tree(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.b = tf.Variable(1.0, name="b")
            self.a = [
                tf.Variable(2.0, name="a0"),
                {
                    "y": tf.Variable(3.0, name="ay"),
                    "x": tf.Variable(4.0, name="ax", trainable=False),
                },
            ]
            self.dup = self.b
            self.sub = Leaf()
            self.zz = [self.sub, Leaf(name="other")]
            Pair = collections.namedtuple("Pair", ["q", "p"])
            self.pair = Pair(q=tf.Variable(7.0, name="q"), p=tf.Variable(8.0, name="p"))
            self.sub.back = self  # a cycle
            self._private = tf.Variable(9.0, name="private")

    return Tree()


def names(vs):
    return [v.name for v in vs]


@pytest.mark.parity
def test_reflection_order_and_dedup_match_tensorflow(real_tf):
    mine, theirs = build_tree(nd), build_tree(real_tf)
    assert names(mine.variables) == names(theirs.variables)
    assert names(mine.trainable_variables) == names(theirs.trainable_variables)
    assert names(mine.non_trainable_variables) == names(theirs.non_trainable_variables)
    assert [m.name for m in mine.submodules] == [m.name for m in theirs.submodules]


@pytest.mark.parity
def test_flatten_with_path_matches_tensorflow(real_tf):
    def paths(m, tf):
        return [
            (p, v.name)
            for p, v in m._flatten(predicate=lambda x: isinstance(x, tf.Variable), with_path=True)
        ]

    mine, theirs = build_tree(nd), build_tree(real_tf)
    # TF's Module also carries private bookkeeping attributes; compare variable paths only.
    assert paths(mine, nd) == paths(theirs, real_tf)


@pytest.mark.parity
@pytest.mark.parametrize(
    "cls_name", ["MyModule", "HTTPServerModule", "ABCModule2X", "_Priv", "Dense2D", "lower"]
)
def test_default_name_is_snake_case_class_name_as_in_tensorflow(real_tf, cls_name):
    mine = type(cls_name, (nd.Module,), {})()
    theirs = type(cls_name, (real_tf.Module,), {})()
    assert mine.name == theirs.name
    assert mine.name_scope.name == theirs.name_scope.name


@pytest.mark.parametrize("bad", ["a b", "a/b", "1x", "", "x-y"])
def test_invalid_module_name_raises_value_error(bad):
    with pytest.raises(ValueError, match="is not a valid module name. Module names must be"):
        nd.Module(name=bad)


def test_name_scope_is_captured_at_construction():
    with nd.name_scope("outer"):
        m = nd.Module(name="inner")
    assert (m.name, m.name_scope.name) == ("inner", "outer/inner/")
    with m.name_scope:
        v = nd.Variable(1.0, name="z")
    assert v.name == "outer/inner/z:0"


def test_with_name_scope_decorator_and_underscore_names():
    class Maker(nd.Module):
        @nd.Module.with_name_scope
        def make(self):
            """Docstring kept."""
            return nd.Variable(1.0, name="w")

    m = Maker(name="_maker")
    assert m.make().name == "_maker/w:0"
    assert Maker.make.__doc__ == "Docstring kept."
    assert Maker.make.__name__ == "make"


def test_seed_module_without_super_init_finds_its_variable():
    class MyModule(nd.Module):
        def __init__(self, value):
            self.weight = nd.Variable(value)

        def multiply(self, x):
            return x * self.weight

    mod = MyModule(3)
    assert len(mod.variables) == 1 and mod.variables[0] is mod.weight
    np.testing.assert_array_equal(mod.multiply(nd.constant([5, 6, 3])).numpy(), [15, 18, 9])
    assert mod.name == "my_module"  # ndflow names it lazily; TF raises AttributeError


def test_seed_quadratic_model_trains_with_its_variables():
    class Model(nd.Module):
        def __init__(self):
            self.w_q = nd.Variable(1.0)
            self.w_l = nd.Variable(2.0)
            self.b = nd.Variable(0.5)

        def __call__(self, x):
            return self.w_q * (x**2) + self.w_l * x + self.b

    model = Model()
    assert [v is w for v, w in zip(model.variables, [model.b, model.w_l, model.w_q])] == [True] * 3
    x = nd.constant([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(model(x).numpy(), [-0.5, 0.5, 8.5])
    with nd.GradientTape() as tape:
        loss = nd.reduce_mean(nd.square(model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in grads)
    for v, g in zip(model.trainable_variables, grads):
        v.assign_sub(0.01 * g)
    assert float(nd.reduce_mean(nd.square(model(x))).numpy()) < float(loss.numpy())


def test_flatten_options_recursive_and_traversal_key():
    r = nd.Module(name="r")
    r.z = nd.Module(name="z")
    r.y = nd.Module(name="y")
    r.z.x = nd.Module(name="x")
    r.y.w = nd.Module(name="w")
    r.y.w.q = nd.Module(name="q")
    assert [m.name for m in r.submodules] == ["y", "z", "w", "q", "x"]
    top = r._flatten(predicate=lambda m: isinstance(m, nd.Module), recursive=False)
    assert [m.name for m in top] == ["y", "z"]
    rev = r._flatten(
        predicate=lambda m: isinstance(m, nd.Module), attribute_traversal_key=lambda k: -ord(k[0])
    )
    assert [m.name for m in rev] == ["z", "y", "x", "w", "q"]


def test_cycles_terminate_with_and_without_paths():
    a, b = nd.Module(name="a"), nd.Module(name="b")
    a.b, b.a = b, a
    a.v = nd.Variable(1.0)
    assert [m.name for m in a.submodules] == ["b"]
    assert len(a.variables) == 1
    assert len(list(a._flatten(with_path=True))) > 0


def test_unsortable_dict_attribute_is_reported():
    m = nd.Module()
    m.d = {1: nd.Variable(1.0), "a": nd.Variable(2.0)}
    with pytest.raises(ValueError, match="Error processing property 'd'"):
        m.variables
