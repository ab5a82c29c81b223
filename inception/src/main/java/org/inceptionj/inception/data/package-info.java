/**
 * Training and evaluation data. Sources ({@link org.inceptionj.inception.data.Dataset}): an
 * {@link org.inceptionj.inception.data.ImageFolder} (torchvision's root/&lt;class&gt;/&lt;image&gt;
 * layout), decoded per image; and the in-memory
 * {@link org.inceptionj.inception.data.RasterDataset rasters} {@link org.inceptionj.inception.data.IdxDataset}
 * (MNIST-style IDX; {@link org.inceptionj.inception.data.FashionMnist#shipped} is the subset
 * shipped in the jar) and {@link org.inceptionj.inception.data.Cifar10Dataset}.
 * {@link org.inceptionj.inception.data.DataSource} turns a {@code --data} value into a training
 * and a test set. Small rasters are viewed through
 * {@link org.inceptionj.inception.data.SmallImageAugmentation} (a
 * {@link org.inceptionj.inception.data.RasterTransform}, fed the bytes without a BufferedImage);
 * photographs through the
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
