/**
 * The engine under data-parallel training: the few collective operations that N processes need
 * ({@link org.inceptionj.inception.distributed.Collective}: all-reduce of floats, broadcast,
 * barrier, abort), a {@link org.inceptionj.inception.distributed.SingleProcess} default, and
 * {@link org.inceptionj.inception.distributed.OpenMpi}, Open MPI 4's C library reached through the
 * FFM API. What is built on it lives with the training code: the gradient average of a step
 * ({@code train.AveragedGradients}), the start of a run on N ranks ({@code train.Replicas}), the
 * shards of an epoch ({@code data.DataLoader.Builder#shard}) and the loop
 * ({@code train.Trainer.Builder#collective}). A NCCL or other engine would implement
 * {@code Collective} and nothing else.
 */
package org.inceptionj.inception.distributed;
