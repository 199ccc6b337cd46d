"""Turn a released inference model (``.onnx`` or a Paddle inference dir) back into trainable weights.

One job per module:

- ``graph``: the source model as a list of parameterised ops in graph order (``SourceOp``),
  whatever file it came from; ``sources`` picks the reader for a path.
- ``onnx_reader``: an ``.onnx`` file -> ``SourceGraph`` (protobuf parsing; weights are
  Constant nodes/initializers, folded through Unsqueeze/Concat/Slice... with onnx's reference
  evaluator; a conv's or matmul's bias Add is taken into the op).
- ``pdiparams``: the combined-tensor ``.pdiparams`` records, read by hand.
- ``paddle_program`` / ``paddle_pir``: ``inference.pdmodel`` (ProgramDesc protobuf) and
  ``inference.json`` (Paddle 3 PIR) -> ``PaddleOp`` lists; ``paddle_ops`` turns those into a
  ``SourceGraph``.
- ``trace``: our dygraph model's parameterised layers in forward-call order (pre/post hooks).
- ``mapping``: pair the two lists op by op (kind, shapes, strides, epsilon, data flow), fill
  every state_dict key exactly once.
- ``runners``: run the source (onnxruntime, paddle.inference), optionally fetching the mapped
  ops' outputs too.
- ``checks``: our model vs the source on random inputs and images; on a mismatch, the first
  mapped layer whose activations diverge.
- ``report``: the typed ``ImportReport`` written next to the weights.

Nothing in a source file is executed while its weights are read; the source runs only to
verify the import (onnxruntime / paddle.inference, as deployment would run it).
"""
