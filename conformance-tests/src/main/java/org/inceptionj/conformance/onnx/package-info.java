/**
 * The ONNX backend node tests, runnable against any InceptionJ backend.
 *
 * <ul>
 *   <li>{@link org.inceptionj.conformance.onnx.OnnxModel}, {@link org.inceptionj.conformance.onnx.OnnxNode},
 *       {@link org.inceptionj.conformance.onnx.OnnxAttribute}, {@link org.inceptionj.conformance.onnx.OnnxTensor}:
 *       a reader of the protobuf wire format written for these files (no protobuf dependency);
 *       malformed input throws {@link org.inceptionj.conformance.onnx.OnnxFormatException} naming the file.</li>
 *   <li>{@link org.inceptionj.conformance.onnx.OnnxOpAdapter}: each ONNX operator of the Inception-v3
 *       set as {@link org.inceptionj.api.Ops} calls; what the API cannot express throws
 *       {@link org.inceptionj.conformance.onnx.OnnxUnsupportedException} with the reason.</li>
 *   <li>{@link org.inceptionj.conformance.onnx.OnnxNodeCase}: one test folder, checked with the
 *       tolerances of onnx's own runner.</li>
 *   <li>{@link org.inceptionj.conformance.onnx.OnnxNodeConformance}: the JUnit 5 runner a backend
 *       subclasses with one line.</li>
 * </ul>
 */
package org.inceptionj.conformance.onnx;
