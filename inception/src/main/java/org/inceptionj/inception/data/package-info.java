/**
 * Training and evaluation data: an {@link org.inceptionj.inception.data.ImageFolder} dataset
 * (torchvision's root/&lt;class&gt;/&lt;image&gt; layout), the
 * {@link org.inceptionj.inception.data.TrainAugmentation} training view (TF-slim: distorted
 * bounding box, flip, {@link org.inceptionj.inception.data.ColorDistortion colour distortion};
 * torchvision: random resized crop, flip, normalization), the evaluation view
 * ({@link org.inceptionj.inception.data.Transform#eval}), and a seeded, multi-threaded
 * {@link org.inceptionj.inception.data.DataLoader} whose batches do not depend on the number of
 * threads. A training loop reads:
 * <pre>{@code
 * ImageFolder train = ImageFolder.open(root);
 * try (DataLoader loader = DataLoader.builder(train, TrainAugmentation.tfSlim(299, seed), 299)
 *         .batchSize(32).seed(seed).build()) {
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         try (DataLoader.Epoch batches = loader.epoch(epoch)) {
 *             for (DataLoader.Batch b : batches) {
 *                 try (Tensor x = b.toTensor(backend)) {
 *                     step.run(x, b.labels());
 *                 }
 *             }
 *         }
 *     }
 * }
 * }</pre>
 */
package org.inceptionj.inception.data;
