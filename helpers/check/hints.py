"""The hints of every exercise, from the idea to nearly the code, keyed by exercise id.

``helpers.check.hint("5.2")`` prints the first, ``hint("5.2", 2)`` the second, and so on. The
first hint of an exercise gives the idea only, never a line of the solution (a test makes sure);
the last comes close to the code. Exercise ``N.k`` is the k-th exercise of notebook ``NN``.
"""

from __future__ import annotations

HINTS: dict[str, tuple[str, ...]] = {
    # 00 How to use this course
    "0.1": ("A numpy image array knows its own size: read the photo, then ask the array.",
            "helpers.images.read_rgb(path) gives the array; its .shape attribute is "
            "(height, width, channels)."),
    "0.2": ("BGR and RGB hold the same three channels in opposite order: only the last axis "
            "changes, and the answer should be a new array.",
            "Reversing an axis is slicing with step -1; `...` stands for all the axes before "
            "the last. Add .copy() so the caller's image stays as it was."),
    "0.3": ("A dataset folder holds one sub-folder per class; count the .jpg files in each and "
            "ignore anything that is not a .jpg.",
            "Loop over sorted(Path(folder).iterdir()), keep the entries that are directories, "
            "and count len(list(d.glob('*.jpg'))) for each, in a dict keyed by d.name."),
    # 01 The neuron
    "1.1": ("e to a large positive power overflows; e to a non-positive power never does. "
            "Rewrite the sigmoid so that only e^(−|z|) is ever computed.",
            "For z ≥ 0, σ(z) = 1 / (1 + e^(−z)); for z < 0 multiply top and bottom by e^z: "
            "σ(z) = e^z / (1 + e^z). In both cases the power is −|z|.",
            "Compute e = np.exp(-np.abs(z)) once on a float array, then choose between the two "
            "formulas element by element with np.where(z >= 0, ..., ...)."),
    "1.2": ("A neuron first forms the weighted sum of its inputs plus the bias, then applies its "
            "activation.",
            "z is the dot product of w and x plus b (np.dot); the output is the sigmoid of z, "
            "e.g. neuron.sigmoid."),
    "1.3": ("ReLU is flat (slope 0) left of zero and a line of slope 1 right of it; at exactly 0 "
            "the course uses 0.",
            "Compare the whole array with 0 at once (z > 0 gives booleans) and turn the booleans "
            "into floats with .astype(float); an `if` works on one number only."),
    "1.4": ("The neuron is on when w·x + b > 0. Choose the numbers so that the sum is negative "
            "when one input or none is 1, and positive only when both are.",
            "With equal weights a, the four inputs give b, a + b, a + b and 2a + b. Pick a "
            "positive a and a bias between −2a and −a, large enough that the sigmoid is near 0 "
            "and 1, e.g. a = 10 and b halfway."),
    # 02 Layers, softmax and cost
    "2.1": ("Softmax does not change when you subtract the same number from every score of a "
            "row; subtract the largest one and no exponential can overflow.",
            "Work along the last axis with keepdims=True: subtract np.max of each row, take "
            "np.exp, divide by the row's np.sum."),
    "2.2": ("A dense layer is a matrix product plus a bias; the hidden layer then goes through "
            "ReLU, the output layer does not.",
            "h is neuron.relu of (x @ W1 + b1); the scores are h @ W2 + b2. Return both."),
    "2.3": ("Cross-entropy keeps, for each example, minus the log of the probability given to "
            "the true class, and averages over the batch. log(0) is −∞, so clip first.",
            "Clip probs into [1e-7, 1 − 1e-7] with np.clip, multiply y_true by np.log of it, sum "
            "over the last axis, negate, and take np.mean over the batch."),
    "2.4": ("Between two neighbouring layers every input connects to every unit (one weight "
            "each), and every unit has one bias.",
            "Pair each layer size with the next (zip(sizes, sizes[1:])) and add up "
            "n_in · n_out + n_out over the pairs."),
    # 03 Convolution
    "3.1": ("Count how many positions the filter's left edge can take while the filter stays "
            "inside the padded input, stepping s pixels at a time.",
            "The padded input is n + 2p wide; the last start is n + 2p − f. Integer-divide that "
            "by s and add 1 for the start at 0."),
    "3.2": ("Output (row, col) comes from the window of the image whose top-left corner is at "
            "(row, col), as big as the filter, through every channel.",
            "Slice image[row:row + f, col:col + f, :] with f the filter's size, multiply it "
            "element by element with the kernel, sum everything and add the bias."),
    "3.3": ("A horizontal edge is a change from top to bottom; a filter that answers it weighs "
            "the row above against the row below and ignores left-right changes.",
            "Build a 3x3 float array: the top row all −1, the middle row 0, the bottom row all +1."),
    "3.4": ("'Same' size means the output width equals n; write the output-size formula with "
            "stride 1 and solve it for the padding.",
            "n − f + 2p + 1 = n gives p = (f − 1) / 2; for an odd filter that is a whole number "
            "(use integer division)."),
    # 04 Pooling, flatten, dense
    "4.1": ("Cut the array into non-overlapping 2x2 blocks; each output value is the largest "
            "value of one block.",
            "Make an output of shape (height // 2, width // 2); block (i, j) is "
            "x[2i:2i+2, 2j:2j+2] and its .max() goes to out[i, j]."),
    "4.2": ("Pooling has no padding: count the positions 0, s, 2s, ... at which the whole window "
            "still fits.",
            "The last start is w − f; integer-divide by s and add 1."),
    "4.3": ("Only layers with weights have parameters: convolutions and dense layers. Pooling and "
            "Flatten have none, but they change the shape the next layer sees.",
            "Follow the shape layer by layer. A convolution has (f·f·c_in + 1)·k parameters, a "
            "dense layer (n_in + 1)·units; a valid 5x5 convolution shrinks 64 to 60, pooling "
            "halves the side, 'same' keeps it."),
    # 05 Training
    "5.1": ("Gradient descent moves every parameter a small step against its gradient; the "
            "learning rate sets the step's size.",
            "Each new parameter is the old one minus the learning rate times its gradient; "
            "return the new w and the new b as a pair."),
    "5.2": ("Differentiate the mean of (w·x + b − y)² with the chain rule: the square gives a "
            "factor 2·(prediction − y), the inner part gives x for w and 1 for b.",
            "Compute the residuals w·x + b − y for all examples once; ∂C/∂w is the mean of "
            "2 · residual · x and ∂C/∂b the mean of 2 · residual."),
    "5.3": ("An epoch shows every example once; the last batch may be smaller, and it still "
            "costs an iteration.",
            "Divide the number of examples by the batch size and round up (math.ceil)."),
    "5.4": ("Too large a learning rate overshoots the minimum (the cost grows or zigzags), too "
            "small a one crawls and has not arrived after the allowed steps; look in between.",
            "Run the notebook's gradient descent on check.learning_rate_problem() with a few "
            "values (1, 0.3, 0.1, 0.03, ...), print the final (w, b) of each, and narrow down "
            "between the last that zigzags and the first that crawls."),
    # 06 Reading the data
    "6.1": ("The network wants the same numbers whichever file they come from: decode, put the "
            "channels in red-green-blue order, bring every photo to one size, then scale the "
            "pixels to the unit interval.",
            "cv2.imread(str(path)) gives BGR uint8 (None if it cannot decode); cv2.cvtColor with "
            "cv2.COLOR_BGR2RGB; cv2.resize(rgb, (size, size), interpolation=...) with INTER_AREA "
            "when both sides are at least size, else INTER_LINEAR; then .astype(np.float32) / 255."),
    "6.2": ("tf.data builds a pipeline as a chain of stages, each a method of the dataset that "
            "returns a new dataset: the pairs, a shuffle, a map that reads each photo, the "
            "batches, and a prefetch at the end.",
            "from_tensor_slices((paths, labels)); .shuffle(len(paths), seed=seed); .map(load, "
            "num_parallel_calls=tf.data.AUTOTUNE), where load wraps the reader in "
            "tf.numpy_function, sets the image's shape and returns tf.one_hot(label, num_classes); "
            "then .batch(batch_size) and .prefetch(tf.data.AUTOTUNE)."),
    "6.3": ("A one-hot row is all zeros except a single 1 in the column of the label.",
            "Start from np.zeros((len(labels), num_classes), dtype=np.float32) and set the "
            "entries [row i, column labels[i]] to 1, e.g. with fancy indexing np.arange(n)."),
    "6.4": ("A float32 array stores 4 bytes per number; count the numbers: one per image, row, "
            "column and channel.",
            "Multiply n_images, image_size twice, channels and 4."),
    "6.5": ("Stratified means each class is split on its own, so the validation set has the same "
            "share of every class as the whole.",
            "For each class: find its positions (np.flatnonzero), shuffle them with "
            "np.random.default_rng(seed), take the first round(len · fraction) for validation. "
            "Return the sorted training and validation indices."),
    # 07 Building the network
    "7.1": ("With 'SAME' padding a stride-1 convolution keeps the side, and 2x2 pooling with "
            "stride 2 halves it, rounding up. Flatten multiplies the three sizes.",
            "Start from side = image_size; for each of the filter counts 32, 32, 64 set side to "
            "math.ceil(side / 2) and record (side, side, filters); then (side·side·64,), (128,), (2,)."),
    "7.2": ("Only the three convolutions and the two dense layers have parameters; each has "
            "its weights plus one bias per filter or unit.",
            "A 3x3 convolution has (3·3·c_in + 1)·filters; a dense layer (n_in + 1)·units. "
            "fc1's input is the flattened side·side·64 after three halvings (rounding up)."),
    "7.3": ("One block of the tutorial: convolution, bias, max pooling, ReLU, each one tf.nn "
            "call, all with 'SAME' padding.",
            "tf.nn.conv2d with strides=1 plus the bias, then tf.nn.max_pool2d with ksize=2 and "
            "strides=2, then tf.nn.relu."),
    "7.4": ("The network runs its layers in order: three blocks, flatten, fc1, fc2. The "
            "variables are attributes of net, named like the layers (net.conv1_kernel, ...).",
            "x = conv_block(x, net.conv1_kernel, net.conv1_bias) for each of the three blocks; "
            "then tf.reshape(x, [x.shape[0], -1]); tf.nn.relu(tf.matmul(x, net.fc1_kernel) + "
            "net.fc1_bias); return tf.matmul(x, net.fc2_kernel) + net.fc2_bias, no softmax."),
    "7.5": ("One Keras layer per step of the table in section 1, in the same order, each named "
            "like the table's row. The starting weights come from each Conv2D's and Dense's "
            "initialiser arguments.",
            "keras.layers.Conv2D(32, 3, padding=\"same\", kernel_initializer=keras.initializers."
            "TruncatedNormal(stddev=0.05), bias_initializer=keras.initializers.Constant(0.05), "
            "name=\"conv1\"), then keras.layers.MaxPooling2D(2, strides=2, padding=\"same\", "
            "name=\"pool1\") and keras.layers.ReLU(); after the three blocks Flatten, "
            "Dense(128, activation=\"relu\"), Dense(num_classes) and Softmax(name=\"softmax\")."),
    "7.6": ("Do not build the layers yourself: the course's builder takes a configuration. "
            "Change only what the exercise asks for.",
            "dataclasses.replace(course_model.ORIGINAL, ...) with image_size, num_classes, "
            "filters and dense_units set, then course_model.build_model(config, seed=SEED)."),
    # 08 Training the classifier
    "8.1": ("Three parts: the forward pass and the loss recorded on a gradient tape (a `with` "
            "block), then the tape's gradients, then the optimizer's update. The two numbers to return "
            "come from the forward pass.",
            "probabilities = model(images, training=True); loss = the tf.reduce_mean of "
            "keras.losses.categorical_crossentropy(labels, probabilities); gradients = "
            "tape.gradient(loss, model.trainable_variables); optimizer.apply_gradients(zip(...)); "
            "right answers: tf.argmax of both along axis 1, compared, cast to float, summed."),
    "8.2": ("Two inner loops per epoch: one over the training batches that calls train_step and "
            "keeps running sums, one over the validation batches that only calls the model. "
            "Divide the sums by the number of photos, not of batches.",
            "Before the epochs: optimizer.build(model.trainable_variables) and a dict of four "
            "empty lists. Training: total += float(loss) * len(images), correct += float(right), "
            "seen += len(images). Validation: model(images, training=False), the summed "
            "categorical_crossentropy and the summed right answers. Append, print, return."),
    "8.3": ("compile fixes the optimizer, the loss and the metric; keras.callbacks has a class "
            "for each of the three jobs; fit takes them all in one list.",
            "keras.optimizers.Adam(1e-4), keras.losses.CategoricalCrossentropy(), "
            "metrics=['accuracy']; ModelCheckpoint(str(Path(folder) / 'best.keras'), "
            "monitor='val_loss', save_best_only=True), EarlyStopping(monitor='val_loss', "
            "patience=patience, restore_best_weights=True), BackupAndRestore(str(Path(folder) / "
            "'backup')); fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=[..., "
            "*more_callbacks], verbose=2, shuffle=False)."),
    "8.4": ("The checkpoint keeps the epoch with the lowest validation loss; on a tie the first "
            "such epoch stays, and a NaN loss never wins.",
            "Walk through history['epoch'] and history['val_loss'] together, remembering the "
            "epoch of the smallest finite loss so far (math.isfinite); replace it only on a "
            "strictly smaller loss."),
    "8.5": ("Overfitting starts at an epoch whose validation loss is not beaten by any of the k "
            "epochs after it.",
            "For each position i, look at val_loss[i+1 : i+1+k]; if there are k of them and none "
            "is lower, return history['epoch'][i]. None when no epoch qualifies."),
    "8.6": ("Training sees only the photos that are not held out for validation; each epoch is "
            "that number divided by the batch size, rounded up.",
            "Training images = n_images − round(n_images · validation_fraction); per epoch "
            "math.ceil(training / batch_size); return it and per epoch × epochs."),
    # 09 Saving, restoring, predicting
    "9.1": ("A .keras file holds the whole model; saving it and rebuilding it are one call "
            "each, one on the model, one in keras.models.",
            "model.save(path) writes the file; keras.models.load_model(path, safe_mode=True) "
            "gives a new model: return that one."),
    "9.2": ("Prepare a photo exactly as training did: read it, put the channels in RGB order, "
            "resize it, scale to [0, 1] and add a batch axis.",
            "cv2.imread, then cv2.cvtColor with COLOR_BGR2RGB, cv2.resize to (size, size) with "
            "INTER_AREA, astype(np.float32) / 255, and [np.newaxis] in front."),
    "9.3": ("Everything prediction needs is in the run folder: run.json says the class names "
            "and the image size, model.keras holds the network; each photo then goes through "
            "the preparation of Exercise 9.2.",
            "Read run.json with json.loads; keras.models.load_model(run_dir / 'model.keras', "
            "safe_mode=True); np.concatenate the prepared photos into one batch; model(batch) "
            "gives one row per photo; dict(zip(class_names, row)) turns a row into a dictionary.",
            "The network's output already sums to 1 (its last layer is a Softmax): do not apply "
            "another softmax, and keep run.json's order of the class names."),
    "9.4": ("Each row of probabilities belongs to one photo; its largest entry is the predicted "
            "class.",
            "np.argmax along axis 1 gives one index per row; look each index up in class_names."),
    # 10 Evaluation
    "10.1": ("Row = the true class, column = the predicted class; every photo adds one to one "
             "cell.",
             "Start from an integer zero matrix num_classes × num_classes and, for each pair "
             "(true, predicted), add 1 at [true, predicted]."),
    "10.2": ("Accuracy is the share of the diagonal in all photos; precision divides a class's "
             "hits by its column (all predicted as it), recall by its row (all truly it).",
             "With C as floats: np.trace(C) / C.sum(); np.diag(C) divided by the column sums "
             "(axis=0) and by the row sums (axis=1). Silence numpy's divide warnings for empty "
             "columns with np.errstate."),
    "10.3": ("A mistake is a photo whose predicted class (the largest probability) is not its "
             "true class; the most confident ones have the largest predicted probability.",
             "predicted = argmax of each row; keep the indices i where it differs from "
             "true_labels[i]; sort them by −probabilities[i, predicted[i]] and return the first k."),
    "10.4": ("One sub-model gives both the layer's feature maps and the scores; the tape records "
             "the forward pass, then the gradient of one class's score says how much each map "
             "position raises it.",
             "keras.Model(model.inputs[0], [model.get_layer(layer_name).output, "
             "model.get_layer('softmax').input]); call it on image[np.newaxis] inside "
             "tf.GradientTape(); tape.gradient(scores[0, class_index], maps)[0]; alpha = its mean "
             "over axes (0, 1); heatmap = ReLU of (maps[0] * alpha) summed over the last axis; "
             "divide by heatmap.max() when it is above 0."),
    # 11 Your own dataset
    "11.1": ("One sub-folder per class, named after the class; copy each photo into its folder "
             "and make sure two photos with the same name cannot overwrite each other.",
             "For each (number, (path, class_name)) in enumerate(...): make destination / "
             "class_name (mkdir parents=True, exist_ok=True) and shutil.copy2 the file to a name "
             "that starts with the number. Return the destination."),
    "11.2": ("A cross is a plus sign: two bars of equal length crossing at the centre. Describe "
             "it as a polygon, turn it and move it like the notebook's other shapes.",
             "Take where = synthetic.random_placement(size, rng); write the 12 corners of an "
             "upright plus sign around (0, 0) with arms 0.9·radius long and a third as wide, "
             "rotate them by where.angle, add where.center, and paint "
             "synthetic.polygon_mask(points, size)."),
    "11.3": ("The output layer has one unit per class; each unit has one weight per input "
             "feature and one bias.",
             "Return (num_classes, (features + 1) · num_classes)."),
    # 12 Data augmentation
    "12.1": ("Augmentation here is a small Keras model of random layers, one per change, each "
             "with its own seed so the pipeline is repeatable.",
             "keras.Sequential of RandomFlip('horizontal'), RandomRotation (its factor is a "
             "fraction of a full turn), RandomZoom (negative zooms in) and RandomContrast "
             "(value_range=(0, 1)), with seeds seed, seed + 1, seed + 2, seed + 3."),
    "12.2": ("The target is the test accuracy of the largest run without augmentation; look for "
             "the smallest run with augmentation that reaches it.",
             "Take the plain run with the largest per_class; among the augmented runs whose "
             "test_accuracy is at least its accuracy, return the smallest per_class, or None."),
    "12.3": ("For each problem ask: could this change make a picture of one class look like "
             "another class, or like something that never occurs?",
             "A digit turned upside down can become another digit; a flipped arrow points the "
             "other way; colour tells ripe from unripe; some photos are always upright. Cats and "
             "dogs survive every change listed."),
    # 13 From TF1 to TF2
    "13.1": ("The TF1 graph was a hidden layer with ReLU and an output layer with softmax; in "
             "TF2 the same operations run directly on tensors.",
             "hidden = tf.nn.relu of x times W1 (tf.matmul) plus b1; return tf.nn.softmax of "
             "hidden times W2 plus b2, using the weights in weights_13."),
    "13.2": ("Section 6 of the notebook listed each file with its size and printed what it holds.",
             "The .meta file is the graph, the .data file the variables' values, the .index file "
             "says where each variable is in it, `checkpoint` names the latest one; a .keras "
             "archive holds config.json, model.weights.h5 and metadata.json."),
    "13.3": ("A .keras file holds the whole model; there is no session or graph to restore.",
             "keras.models.load_model(path, safe_mode=True), then its predict method on the "
             "images (verbose=0)."),
    "13.4": ("One training step: compute the loss while a tape records, ask the tape for the "
             "gradients, let the optimizer apply them.",
             "Inside `with tf.GradientTape() as tape:` run the model with training=True and take "
             "the mean of tf.nn.softmax_cross_entropy_with_logits; then tape.gradient over "
             "model.trainable_variables and optimizer.apply_gradients on the zipped pairs."),
    # A1 Training on several devices
    "A1.1": ("With a batch k times larger, one step averages k times as many examples, so the "
             "rule lets each step move k times as far.",
             "The new rate is the old one times the ratio of the batch sizes: new_batch divided "
             "by batch, multiplied by lr."),
    "A1.2": ("Every worker gets the same list of all workers; only its own place in that list "
             "differs. The notebook's section on TF_CONFIG shows the two keys.",
             "A dict with 'cluster' (a dict whose 'worker' is the list of 'host:port' strings, "
             "one per host, in order) and 'task' (type 'worker' and this worker's index)."),
    "A1.3": ("Ask how many photos one worker decodes in an epoch under each policy; the time is "
             "that count over its decoding speed.",
             "Under DATA each worker decodes all the photos; under FILE only its share, the "
             "photos divided by the workers. Divide by images_per_second."),
    # A2 Broken and odd image files
    "A2.1": ("Look at each entry of the folder once: keep only files, skip hidden ones (their "
             "names start with a dot) and keep only image extensions, whatever their case.",
             "Iterate over Path(folder).iterdir(), test is_file(), the name's first character and "
             "suffix.lower() in images.IMAGE_EXTENSIONS, and return the paths sorted."),
    "A2.2": ("A file's format is written in its first few bytes, its signature; the name plays no "
             "part.",
             "data.startswith(b'\\xff\\xd8\\xff') means JPEG, data.startswith(b'\\x89PNG\\r\\n\\x1a\\n') "
             "means PNG; return None for everything else, the empty file included."),
    "A2.3": ("Let the course's reader decide what is usable, and turn its complaint about a file "
             "into a message instead of a crash.",
             "For each path: call images.read_rgb inside try; on images.UnreadableImageError "
             "append str(error) to the messages, else (the try's else branch) append the path "
             "to the usable list. Return both lists."),
    # A3 Robust files and commands
    "A3.1": ("Write somewhere else first, then put the finished file in place in one step that "
             "is never half done.",
             "json.dump into a temporary file in the same folder, then os.replace(temporary, "
             "path); if anything fails, unlink the temporary file and raise again."),
    # A4 Run folders and resuming
    "A4.1": ("Keras has a ready-made callback that stops training when a monitored number stops "
             "improving, and can go back to the best weights.",
             "keras.callbacks.EarlyStopping watching 'val_loss', with the given patience and "
             "restore_best_weights switched on."),
}


def exercises_of(notebook: int | str) -> list[str]:
    """The exercise ids of notebook ``notebook`` (a number, or "A1" for an appendix), in order:
    ``["1.1", "1.2", ...]``."""
    found = [key for key in HINTS if key.split(".")[0] == str(notebook)]
    return sorted(found, key=lambda key: int(key.split(".")[1]))
