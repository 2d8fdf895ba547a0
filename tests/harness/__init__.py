"""Test helpers shared by every test module: gradient checks and TensorFlow comparison."""
