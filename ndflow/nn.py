"""`tf.nn`: activations, convolution and pooling, losses, dropout and normalization.

Aliases owned by other families (sigmoid, tanh, embedding_lookup, ...) are added at merge.
"""

# ruff: noqa: F401, A004
from ndflow._src.ops.conv_ops import atrous_conv2d as atrous_conv2d
from ndflow._src.ops.pooling_ops import avg_pool as avg_pool
from ndflow._src.ops.pooling_ops import avg_pool1d as avg_pool1d
from ndflow._src.ops.pooling_ops import avg_pool2d as avg_pool2d
from ndflow._src.ops.conv_ops import conv1d as conv1d
from ndflow._src.ops.conv_ops import conv1d_transpose as conv1d_transpose
from ndflow._src.ops.conv_ops import conv2d as conv2d
from ndflow._src.ops.conv_ops import conv2d_transpose as conv2d_transpose
from ndflow._src.ops.conv_ops import conv_transpose as conv_transpose
from ndflow._src.ops.conv_ops import convolution as convolution
from ndflow._src.ops.conv_ops import depthwise_conv2d as depthwise_conv2d
from ndflow._src.ops.conv_ops import (
    depthwise_conv2d_backprop_filter as depthwise_conv2d_backprop_filter,
)
from ndflow._src.ops.conv_ops import (
    depthwise_conv2d_backprop_input as depthwise_conv2d_backprop_input,
)
from ndflow._src.ops.pooling_ops import max_pool as max_pool
from ndflow._src.ops.pooling_ops import max_pool1d as max_pool1d
from ndflow._src.ops.pooling_ops import max_pool2d as max_pool2d
from ndflow._src.ops.pooling_ops import pool as pool
from ndflow._src.ops.conv_ops import separable_conv2d as separable_conv2d
from ndflow._src.ops.nn_ops import batch_normalization as batch_normalization
from ndflow._src.ops.nn_ops import bias_add as bias_add
from ndflow._src.ops.nn_loss_ops import compute_average_loss as compute_average_loss
from ndflow._src.ops.nn_ops import dropout as dropout
from ndflow._src.ops.nn_ops import elu as elu
from ndflow._src.ops.nn_ops import gelu as gelu
from ndflow._src.ops.nn_ops import in_top_k as in_top_k
from ndflow._src.ops.nn_loss_ops import l2_loss as l2_loss
from ndflow._src.ops.nn_ops import leaky_relu as leaky_relu
from ndflow._src.ops.nn_loss_ops import log_poisson_loss as log_poisson_loss
from ndflow._src.ops.nn_ops import log_softmax as log_softmax
from ndflow._src.ops.nn_ops import moments as moments
from ndflow._src.ops.nn_ops import normalize_moments as normalize_moments
from ndflow._src.ops.nn_ops import relu as relu
from ndflow._src.ops.nn_ops import relu6 as relu6
from ndflow._src.ops.nn_loss_ops import scale_regularization_loss as scale_regularization_loss
from ndflow._src.ops.nn_ops import selu as selu
from ndflow._src.ops.nn_loss_ops import (
    sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits,
)
from ndflow._src.ops.nn_ops import silu as silu
from ndflow._src.ops.nn_ops import softmax as softmax
from ndflow._src.ops.nn_loss_ops import (
    softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits,
)
from ndflow._src.ops.nn_ops import softplus as softplus
from ndflow._src.ops.nn_ops import softsign as softsign
from ndflow._src.ops.nn_loss_ops import (
    sparse_softmax_cross_entropy_with_logits as sparse_softmax_cross_entropy_with_logits,
)
from ndflow._src.ops.nn_ops import sufficient_statistics as sufficient_statistics
from ndflow._src.ops.nn_ops import swish as swish
from ndflow._src.ops.nn_loss_ops import (
    weighted_cross_entropy_with_logits as weighted_cross_entropy_with_logits,
)

# Aliases of ops other families own, under the names TensorFlow also gives them in tf.nn.
from ndflow._src.ops.clip_ops import l2_normalize as l2_normalize
from ndflow._src.ops.gather_ops import embedding_lookup as embedding_lookup
from ndflow._src.ops.sort_ops import top_k as top_k
from ndflow._src.ops.unary_ops import sigmoid as sigmoid
from ndflow._src.ops.unary_ops import tanh as tanh
