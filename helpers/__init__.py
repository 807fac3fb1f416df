"""The course's helper package.

Each module holds the code of one topic, so that a learner can open it next to the notebook that
uses it:

- ``neuron``   activations, their derivatives, softmax and costs (numpy only)
- ``shapes``   output sizes of convolution and pooling, layer tables, parameter counts
- ``ops``      reference numpy convolution and pooling on ``(batch, height, width, channels)``
- ``images``   reading one image file into RGB ``uint8`` (the one place BGR becomes RGB), resizing
               and the one preprocessing function every model input goes through
- ``data``     class folders, the scan report, splits, the numpy loader, the tf.data pipeline,
               augmentation; ``python -m helpers.data check|download``
- ``datasets`` where the data lives, the registry of datasets, safe downloads (no TensorFlow)
- ``model``    the tutorial's network from TensorFlow primitives and in Keras; one configurable
               builder for every recipe
- ``augmentation`` the table of random image changes and their strengths; the layers
- ``run``      the run folder: its files, atomic writes, the lock, resume state, loading
- ``train``    ``python -m helpers.train``: recipes, the training itself, history
- ``cli``      the command lines of train, predict and evaluate: arguments before TensorFlow,
               one-line failures
- ``predict``  ``python -m helpers.predict``: class probabilities for photos, from a run folder
- ``evaluate`` ``python -m helpers.evaluate``: accuracy, precision, recall, confusion matrix
- ``explain``  what a trained network looks at: saliency maps and Grad-CAM
- ``scaling``  training on several devices or machines: TF_CONFIG, local workers, the
               multi-worker strategy (appendix A1)
- ``synthetic`` a small dataset of drawn shapes, made offline, for practising on any folder
- ``experiments`` learning curves: the same recipe on growing subsets of the photos
- ``plots``    every figure the course draws
- ``check``    the exercise checkers
- ``env``      the environment check and the course's paths and quick-run switch
- ``quiet``    keeps TensorFlow's C++ start-up lines out of notebooks; the course kernel's launcher

The mathematics (``neuron``, ``shapes``, ``ops``) imports neither TensorFlow nor OpenCV.
"""

from helpers import quiet

# TensorFlow's C++ start-up lines (oneDNN, CUDA probing, CPU features) are noise for a learner on
# a CPU; keep them out of every notebook that imports the helpers. Python errors still raise.
# Done before any helper imports TensorFlow; an explicit TF_CPP_MIN_LOG_LEVEL by the user wins.
quiet.install()

__version__ = "0.1.0"
