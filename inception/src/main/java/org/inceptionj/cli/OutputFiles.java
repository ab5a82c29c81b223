package org.inceptionj.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checks every command makes on the files it will write, before it reads or computes anything,
 * so that a bad path fails in the first second and not after an hour of training. Each error is an
 * {@link IllegalArgumentException} naming the option and the path.
 */
final class OutputFiles {
    private OutputFiles() {
    }

    /**
     * {@code file} (given as {@code option}) can be written: it is not a folder, and its folder
     * exists and is writable — or is {@code createdLater} (a run folder made once every check has
     * passed), whose nearest existing ancestor must then be a writable folder.
     */
    static void checkWritable(String option, Path file, Path createdLater) {
        Path abs = file.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException(option + " " + file + " is a folder, not a file");
        }
        Path parent = abs.getParent();
        if (parent == null) {
            throw new IllegalArgumentException(option + " " + file + ": not a file path");
        }
        if (createdLater != null && !Files.exists(parent) && parent.equals(createdLater.toAbsolutePath().normalize())) {
            checkCreatable(option, file, parent);
            return;
        }
        if (!Files.isDirectory(parent)) {
            throw new IllegalArgumentException(option + " " + file + ": the folder " + parent
                    + (Files.exists(parent) ? " is a file, not a folder" : " does not exist"));
        }
        if (!Files.isWritable(parent)) {
            throw new IllegalArgumentException(option + " " + file + ": the folder " + parent + " is not writable");
        }
    }

    /** {@code folder} (given as {@code option}) is a folder, or can be made: its nearest existing ancestor is a writable folder. */
    static void checkCreatable(String option, Path given, Path folder) {
        Path abs = folder.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new IllegalArgumentException(option + " " + given + ": " + abs + " is a file, not a folder");
            }
            return;
        }
        Path ancestor = abs.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null || !Files.isDirectory(ancestor) || !Files.isWritable(ancestor)) {
            throw new IllegalArgumentException(option + " " + given + ": cannot create the folder " + abs + " ("
                    + (ancestor == null ? "no existing folder above it"
                    : ancestor + (Files.isDirectory(ancestor) ? " is not writable" : " is a file")) + ")");
        }
    }

    /**
     * No two of {@code files} (option → path) are the same file, so that no output overwrites
     * another or an input; {@code allowed} names a pair that may share a file (for example
     * {@code --checkpoint} and {@code --resume}), or is null.
     */
    static void checkDistinct(Map<String, Path> files, String allowedA, String allowedB) {
        Map<Path, String> seen = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            String other = seen.putIfAbsent(e.getValue().toAbsolutePath().normalize(), e.getKey());
            boolean allowed = other != null && allowedA != null
                    && (other.equals(allowedA) && e.getKey().equals(allowedB) || other.equals(allowedB) && e.getKey().equals(allowedA));
            if (other != null && !allowed) {
                throw new IllegalArgumentException(e.getKey() + " " + e.getValue() + " is the file of " + other
                        + " too: each needs a file of its own (one would overwrite the other)");
            }
        }
    }
}
