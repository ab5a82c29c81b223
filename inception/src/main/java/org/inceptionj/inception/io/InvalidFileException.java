package org.inceptionj.inception.io;

import java.nio.file.Path;

/**
 * A file that is not what it claims to be: malformed, truncated, inconsistent, or asking for more
 * than the configured limits allow. Every reader of untrusted files (safetensors weights,
 * checkpoints, IDX and CIFAR data, images) reports problems with this one type, and its message
 * always names the file and the problem: {@code "<what> <file>: <problem>"}.
 *
 * <p>It extends {@link IllegalArgumentException} because a bad file is bad input to the call that
 * was given it; callers that catch that keep working.
 */
public class InvalidFileException extends IllegalArgumentException {
    private final transient Path file;
    private final String problem;

    /**
     * @param what    the kind of file, as a reader would name it ("safetensors", "checkpoint",
     *                "IDX images file", "image", ...)
     * @param file    the offending file
     * @param problem what is wrong, with the offending value
     */
    public InvalidFileException(String what, Path file, String problem) {
        this(what, file, problem, null);
    }

    public InvalidFileException(String what, Path file, String problem, Throwable cause) {
        super(what + " " + file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }

    /** What is wrong with it, without the file name. */
    public String problem() {
        return problem;
    }
}
