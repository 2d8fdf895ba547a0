"""The seeds' quadratic tf.Module trained from scratch, the tracing example and
MyModule (run by tests/seeds/test_seed_scripts.py under `ndflow run`)."""

import tensorflow as tf

x = tf.linspace(-3, 3, 201)
x = tf.cast(x, tf.float32)


def f(x):
    y = x**2 + 2 * x - 8
    return y


y = f(x) + tf.random.normal(shape=[201])


class Model(tf.Module):
    def __init__(self):
        rand_init = tf.random.uniform(shape=[3], minval=0.0, maxval=5.0, seed=22)
        self.w_q = tf.Variable(rand_init[0])
        self.w_l = tf.Variable(rand_init[1])
        self.b = tf.Variable(rand_init[2])

    @tf.function
    def __call__(self, x):
        return self.w_q * (x**2) + self.w_l * x + self.b


quad_model = Model()


def mse_loss(y_pred, y):
    return tf.reduce_mean(tf.square(y_pred - y))


batch_size = 32
dataset = tf.data.Dataset.from_tensor_slices((x, y))
dataset = dataset.shuffle(buffer_size=x.shape[0]).batch(batch_size)

epochs = 150
learning_rate = 0.01
losses = []

for epoch in range(epochs):
    for x_batch, y_batch in dataset:
        with tf.GradientTape() as tape:
            batch_loss = mse_loss(quad_model(x_batch), y_batch)
        grads = tape.gradient(batch_loss, quad_model.variables)
        for g, v in zip(grads, quad_model.variables):
            v.assign_sub(learning_rate * g)

    loss = mse_loss(quad_model(x), y)
    losses.append(loss)
    if epoch % 10 == 0:
        print(f"Mean squared error for step {epoch}: {loss.numpy():0.3f}")


@tf.function
def my_func(x):
    print("Tracing.\n")
    return tf.reduce_sum(x)


x = tf.constant([31, 1, 4])
print(repr(my_func(x)))
x = tf.constant([8.0, 11.8, 14.3], dtype=tf.float32)
print(repr(my_func(x)))


class MyModule(tf.Module):
    def __init__(self, value):
        self.weight = tf.Variable(value)

    @tf.function
    def multiply(self, x):
        return x * self.weight


mod = MyModule(3)
print(repr(mod.multiply(tf.constant([5, 6, 3]))))
