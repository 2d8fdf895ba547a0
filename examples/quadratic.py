"""Fits y = x**2 + 2x - 8 from noisy samples with a GradientTape loop (the seeds' model)."""

import ndflow as tf

tf.random.set_seed(22)
x = tf.cast(tf.linspace(-3, 3, 201), tf.float32)
y = x**2 + 2 * x - 8 + tf.random.normal(shape=[201])

w_q, w_l, b = (tf.Variable(v) for v in tf.random.uniform([3], 0.0, 5.0, seed=22))
variables = [w_q, w_l, b]


def model(x):
    return w_q * x**2 + w_l * x + b


for epoch in range(150):
    for start in range(0, 201, 32):
        xb, yb = x[start : start + 32], y[start : start + 32]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb) - yb))
        for g, v in zip(tape.gradient(loss, variables), variables):
            v.assign_sub(0.01 * g)
    if epoch % 10 == 0:
        mse = tf.reduce_mean(tf.square(model(x) - y))
        print(f"Mean squared error for step {epoch}: {mse.numpy():0.3f}")

print(f"w_q={w_q.numpy():.3f} w_l={w_l.numpy():.3f} b={b.numpy():.3f}  (true: 1, 2, -8)")
