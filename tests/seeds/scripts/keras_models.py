"""The seeds' Keras models that need no saving, datasets or preprocessing layers,
as the seeds write them (run by tests/seeds/test_seed_scripts.py under `ndflow run`)."""

import numpy as np
import tensorflow as tf

x = np.linspace(0, 100, 1000)
y = 3 * x + 7 + np.random.randn(*x.shape) * 10
x = x.reshape(-1, 1)
y = y.reshape(-1, 1)

inputs = tf.keras.Input(shape=(1,))
x_layer = tf.keras.layers.Dense(16, activation="relu")(inputs)
outputs = tf.keras.layers.Dense(1)(x_layer)
model = tf.keras.Model(inputs, outputs)

model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x, y, epochs=2, verbose=0)
print("evaluate", model.evaluate(x, y, verbose=0))

input_1 = tf.keras.Input(shape=(10,), name="wide_input")
input_2 = tf.keras.Input(shape=(5,), name="deep_input")
x1 = tf.keras.layers.Dense(16, activation="relu")(input_1)
x2 = tf.keras.layers.Dense(32, activation="relu")(input_2)
x2 = tf.keras.layers.Dense(16, activation="relu")(x2)
concat = tf.keras.layers.concatenate([x1, x2])
output = tf.keras.layers.Dense(1, activation="sigmoid")(concat)
model = tf.keras.Model(inputs=[input_1, input_2], outputs=output)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
x1 = np.random.random((100, 10))
x2 = np.random.random((100, 5))
y = np.random.randint(2, size=(100, 1))
print(
    "multi-input",
    model.fit({"wide_input": x1, "deep_input": x2}, y, epochs=2, verbose=0).history["loss"],
)

inputs = tf.keras.layers.Input(shape=(28, 28, 1))
from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D

x = Conv2D(32, 3, activation="relu")(inputs)
x = MaxPooling2D((2, 2))(x)
x = Conv2D(64, 3, activation="relu")(x)
x = MaxPooling2D((2, 2))(x)
x = Conv2D(64, 3, activation="relu")(x)
x = Flatten()(x)
x = Dense(64, activation="relu")(x)
outputs = Dense(10)(x)
model = tf.keras.models.Model(inputs, outputs)
model.summary()

from tensorflow.keras import Model, layers


class MyModel(Model):
    def __init__(self):
        super().__init__()
        self.dense1 = layers.Dense(64, activation="relu")
        self.dense2 = layers.Dense(32, activation="relu")
        self.dense3 = layers.Dense(1)

    def call(self, inputs, training=False):
        x = self.dense1(inputs)
        x = self.dense2(x)
        return self.dense3(x)


model = MyModel()
model.compile(loss=tf.losses.mean_squared_error, optimizer=tf.optimizers.SGD(learning_rate=0.001))
x = np.random.rand(64, 10)
y = np.random.rand(64, 1)
print("subclassed", model.fit(x, y, epochs=2, batch_size=32, verbose=0).history["loss"])

xq = tf.cast(tf.linspace(-3, 3, 201), tf.float32)
yq = xq**2 + 2 * xq - 8 + tf.random.normal(shape=[201])
new_model = tf.keras.Sequential(
    [
        tf.keras.layers.Lambda(lambda x: tf.stack([x, x**2], axis=1)),
        tf.keras.layers.Dense(units=1, kernel_initializer=tf.random.normal),
    ]
)
new_model.compile(loss=tf.keras.losses.MSE, optimizer=tf.keras.optimizers.SGD(learning_rate=0.01))
history = new_model.fit(xq, yq, epochs=150, batch_size=32, verbose=0)
print("quadratic", history.history["loss"][-1])
