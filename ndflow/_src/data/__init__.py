"""tf.data on NumPy.

Modules, by family:
  structure       element specs (TensorSpec, DatasetSpec), normalizing values, fast packing
  dataset_ops     the Dataset base class, iteration contexts (seeds), index plans
  sources         from_tensor_slices, from_tensors, range, from_generator, zip, concatenate
  transformations map, filter, shuffle, repeat, take, skip, cache, prefetch, shard, scan, ...
  batching        batch, padded_batch, unbatch, rebatch, window, group_by_window, buckets
  combinators     flat_map, interleave, sample_from_datasets, choose_from_datasets
  iterator        Python iteration, as_numpy_iterator, checkpointable iterator state
  readers         TFRecordDataset, TextLineDataset, FixedLengthRecordDataset, list_files
  tfrecord        TFRecord framing with masked CRC-32C, TFRecordWriter
  csv_ops         CsvDataset, make_csv_dataset
  example_proto   tf.train.Example & co with a minimal protobuf wire codec
  parsing         tf.io.parse_example / parse_single_example
  io_ops          tf.io.decode_csv, decode_raw, read_file, gfile, ...
  philox          Philox4x32-10, so seeded shuffles follow TensorFlow's exact order
  snapshot        Dataset.save / load and file caches (.npz + JSON, never pickle)
  experimental    tf.data.experimental functions
"""
