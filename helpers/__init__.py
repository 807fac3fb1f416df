"""The course's helper package.

Each module holds the code of one topic, so that a learner can open it next to the notebook that
uses it:

- ``neuron``   activations, their derivatives, softmax and costs (numpy only)
- ``shapes``   output sizes of convolution and pooling, layer tables, parameter counts
- ``ops``      reference numpy convolution and pooling on ``(batch, height, width, channels)``
- ``images``   reading one image file into RGB ``uint8`` (the one place BGR becomes RGB)
- ``plots``    every figure the course draws
- ``check``    the exercise checkers
- ``env``      the environment check and the course's paths and quick-run switch

The mathematics (``neuron``, ``shapes``, ``ops``) imports neither TensorFlow nor OpenCV.
"""

__version__ = "0.1.0"
