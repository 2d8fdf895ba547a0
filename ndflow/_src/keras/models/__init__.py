"""Keras models: `Model`, the functional API (`Functional`) and `Sequential`."""
